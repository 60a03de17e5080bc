"""The channel plugin point: entry points, configuration errors, the built-in log channel."""

from __future__ import annotations

import pytest
import structlog
from pydantic import ValidationError

from kubeopt_common.plugins import PluginGroup, available
from kubeopt_notifier.channels.base import ChannelType
from kubeopt_notifier.channels.log import LogChannel
from kubeopt_notifier.channels.registry import build_channels, installed_channel_types
from kubeopt_notifier.domain import DeliveryStatus, notification_from_anomaly
from kubeopt_notifier.errors import ChannelConfigError
from kubeopt_notifier.settings import ChannelSettings, NotifierSettings
from tests.notifier.builders import RecordingChannelType, anomaly_event


def test_log_channel_is_registered_as_an_entry_point() -> None:
    assert "log" in available(PluginGroup.CHANNELS)
    assert installed_channel_types()["log"] is LogChannel


async def test_log_channel_writes_one_structured_line() -> None:
    notification = notification_from_anomaly(anomaly_event())
    channel = LogChannel.from_params(name="ops", params={"level": "warning"})
    with structlog.testing.capture_logs() as logs:
        result = await channel.send(notification)
    assert result.status is DeliveryStatus.DELIVERED
    assert len(logs) == 1
    line = logs[0]
    assert line["event"] == "notify.delivered"
    assert line["log_level"] == "warning"
    assert line["channel"] == "ops"
    assert line["title"] == notification.title
    assert line["severity"] == "critical"
    assert line["labels"] == notification.labels
    assert line["source_event_id"] == str(notification.source_event_id)
    assert line["source_subject"] == notification.source_subject


async def test_log_channel_level_defaults_to_info() -> None:
    channel = LogChannel.from_params(name="log", params={})
    with structlog.testing.capture_logs() as logs:
        await channel.send(notification_from_anomaly(anomaly_event()))
    assert [line["log_level"] for line in logs] == ["info"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"level": "loud"}, "channel 'ops' (type log): params.level: Input should be"),
        ({"colour": "red"}, "channel 'ops' (type log): params.colour: Extra inputs"),
    ],
)
def test_bad_log_params_name_the_param(params: dict[str, str], message: str) -> None:
    with pytest.raises(ChannelConfigError) as raised:
        LogChannel.from_params(name="ops", params=params)
    assert str(raised.value).startswith(message)


def test_unknown_channel_type_names_the_installed_ones() -> None:
    configs = [ChannelSettings(name="team", type="slack")]
    with pytest.raises(ChannelConfigError, match=r"'team': unknown type 'slack' \(installed: log"):
        build_channels(configs, installed_channel_types())


def test_channels_are_built_from_settings_in_order() -> None:
    types: dict[str, ChannelType] = {"log": LogChannel, "recording": RecordingChannelType()}
    configs = [
        ChannelSettings(name="audit", type="recording", params={"failures": 0}),
        ChannelSettings(name="log", type="log", enabled=False),
    ]
    built = build_channels(configs, types)
    assert [(c.name, c.channel.type, c.enabled) for c in built] == [
        ("audit", "recording", True),
        ("log", "log", False),
    ]


def test_default_settings_have_one_log_channel() -> None:
    settings = NotifierSettings()
    assert [(c.name, c.type, c.enabled) for c in settings.channels] == [("log", "log", True)]
    assert settings.api.port == 8704


def test_channel_names_must_be_unique() -> None:
    with pytest.raises(ValidationError, match="repeated: ops"):
        NotifierSettings(
            channels=[
                ChannelSettings(name="ops", type="log"),
                ChannelSettings(name="ops", type="x"),
            ]
        )
