"""Channels against real local HTTP endpoints: outcomes per status, signatures, no leaks."""

from __future__ import annotations

import asyncio

import pytest
import structlog
from pydantic import ValidationError
from standardwebhooks import Webhook

from kubeopt_common.plugins import PluginGroup, available
from kubeopt_notifier.channels.log import LogChannel
from kubeopt_notifier.channels.registry import build_channel, installed_channel_types
from kubeopt_notifier.channels.slack import SlackChannel
from kubeopt_notifier.channels.webhook import WebhookChannel
from kubeopt_notifier.domain import ResultStatus, notification_from_anomaly
from kubeopt_notifier.errors import ChannelConfigError, ChannelUnreachableError
from kubeopt_notifier.settings import ChannelSettings, NotifierSettings
from tests.notifier.builders import anomaly_event, message_of
from tests.notifier.receiver import Reply, serving

SECRET = WebhookChannel.generated_params()["secret"]


def test_built_in_channel_types_are_entry_points() -> None:
    assert {"log", "slack", "webhook"} <= set(available(PluginGroup.CHANNELS))
    types = installed_channel_types()
    assert (types["log"], types["slack"], types["webhook"]) == (
        LogChannel,
        SlackChannel,
        WebhookChannel,
    )


async def test_log_channel_writes_one_line_per_notification() -> None:
    notes = [notification_from_anomaly(anomaly_event()) for _ in range(2)]
    channel = LogChannel.from_params(name="ops", params={"level": "warning"})
    with structlog.testing.capture_logs() as logs:
        result = await channel.send(message_of(*notes))
    assert result.status is ResultStatus.DELIVERED
    assert [(line["event"], line["log_level"]) for line in logs] == [
        ("notify.delivered", "warning")
    ] * 2
    assert logs[0]["source_event_id"] == str(notes[0].source_event_id)
    assert logs[0]["labels"] == notes[0].labels


@pytest.mark.parametrize(
    ("type_", "params", "field", "message"),
    [
        ("log", {"level": "loud"}, "params.level", "params.level: Input should be"),
        ("slack", {}, "params.url", "params.url: Field required"),
        ("slack", {"url": "ftp://x"}, "params.url", "http:// or https://"),
        ("webhook", {"url": "http://h/x", "secret": "abc"}, "params.secret", "starts with whsec_"),
        ("pager", {}, "type", "unknown type 'pager' (installed: log, slack, webhook)"),
    ],
)
def test_bad_channels_name_the_field(
    type_: str, params: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ChannelConfigError) as raised:
        build_channel(installed_channel_types(), name="ops", type_=type_, params=params)
    assert raised.value.field == field
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("reply", "status", "retry_after_s"),
    [
        (Reply(200, "ok"), ResultStatus.DELIVERED, None),
        (Reply(429, "rate_limited", {"Retry-After": "7"}), ResultStatus.RETRYABLE, 7.0),
        (Reply(503, "busy"), ResultStatus.RETRYABLE, None),
        (Reply(400, "invalid_blocks"), ResultStatus.FAILED, None),
        (Reply(404, "no_service"), ResultStatus.FAILED, None),
        (Reply(410, "gone"), ResultStatus.GONE, None),
    ],
)
async def test_slack_outcomes(
    reply: Reply, status: ResultStatus, retry_after_s: float | None
) -> None:
    async with serving(reply) as receiver:
        channel = SlackChannel.from_params(name="team", params={"url": receiver.url})
        result = await channel.send(message_of(notification_from_anomaly(anomaly_event())))
        await channel.close()
        (request,) = await receiver.wait_for(1)
    assert (result.status, result.retry_after_s) == (status, retry_after_s)
    assert request.path == "/hooks/T000/B000/s3cr3t-path"
    assert request.json()["blocks"][0]["type"] == "header"
    assert channel.rate_limit == (1.0, 3)


async def test_webhook_requests_are_signed_per_standard_webhooks() -> None:
    async with serving() as receiver:
        channel = WebhookChannel.from_params(
            name="hook", params={"url": receiver.url, "secret": SECRET}
        )
        message = message_of(notification_from_anomaly(anomaly_event()))
        assert (await channel.send(message)).status is ResultStatus.DELIVERED
        assert (await channel.send(message)).status is ResultStatus.DELIVERED  # a retry
        await channel.close()
        first, second = await receiver.wait_for(2)
    for request in (first, second):
        body = Webhook(SECRET).verify(request.body, request.headers)
        assert body["message_id"] == str(message.message_id)
        assert request.headers["webhook-id"] == str(message.message_id)
        assert request.headers["content-type"] == "application/json"
    assert channel.rate_limit is None


async def test_a_slow_endpoint_times_out_as_retryable_without_leaking_the_url() -> None:
    hold = asyncio.Event()
    async with serving(Reply(hold=hold)) as receiver:
        channel = SlackChannel.from_params(
            name="team", params={"url": receiver.url, "timeout_s": 0.2}
        )
        result = await channel.send(message_of(notification_from_anomaly(anomaly_event())))
        await channel.close()
    assert result.status is ResultStatus.RETRYABLE
    assert result.error == "no answer within 0.2 s"


async def test_unreachable_endpoints_name_host_and_port_but_never_the_path() -> None:
    async with serving() as receiver:
        url = receiver.url
    channel = WebhookChannel.from_params(name="hook", params={"url": url, "secret": SECRET})
    result = await channel.send(message_of(notification_from_anomaly(anomaly_event())))
    assert result.status is ResultStatus.RETRYABLE
    assert "s3cr3t" not in result.error
    with pytest.raises(ChannelUnreachableError) as raised:
        await channel.check()
    await channel.close()
    assert str(raised.value).startswith("cannot connect to 127.0.0.1:")
    assert "s3cr3t" not in str(raised.value)
    assert raised.value.field == "params.url"


def test_default_settings_have_one_log_channel_and_unique_names() -> None:
    settings = NotifierSettings()
    assert [(c.name, c.type, c.enabled) for c in settings.channels] == [("log", "log", True)]
    assert settings.api.port == 8704
    with pytest.raises(ValidationError, match="repeated: ops"):
        NotifierSettings(
            channels=[
                ChannelSettings(name="ops", type="log"),
                ChannelSettings(name="ops", type="x"),
            ]
        )
    with pytest.raises(ValidationError, match="root route must not have matchers"):
        NotifierSettings.model_validate({"route": {"channels": ["*"], "matchers": ["a=b"]}})
