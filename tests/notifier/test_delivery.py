"""The notifier end to end on a real nats-server, PostgreSQL and local HTTP endpoints:
retries honouring Retry-After, 5xx then success, a slow endpoint, 410, 4xx, dead letters,
dedupe, digests, silences, repeat suppression, and no URL or secret in the logs."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from nats.aio.client import Client
from standardwebhooks import Webhook

from kubeopt_common.events import Event, Subject, dead_letter_subject
from kubeopt_notifier.app import SERVICE
from kubeopt_notifier.channels.webhook import WebhookChannel
from kubeopt_notifier.settings import ChannelSettings, RetrySettings
from tests.jetstream import DeadLetterInbox, publish_event, publish_raw
from tests.notifier.api_client import call, deliveries, wait_status
from tests.notifier.builders import (
    RecordingChannelType,
    anomaly_event,
    budget_event,
    recommendation_event,
)
from tests.notifier.conftest import StartNotifier, route_for
from tests.notifier.receiver import Reply, serving

SECRET = WebhookChannel.generated_params()["secret"]


def hook(name: str, url: str, **params: Any) -> ChannelSettings:
    return ChannelSettings(
        name=name, type="webhook", params={"url": url, "secret": SECRET, **params}
    )


async def test_each_event_reaches_each_routed_channel_once_signed(
    start_notifier: StartNotifier, recording: RecordingChannelType, nc: Client, unique: str
) -> None:
    cluster = f"n-{unique}"
    async with serving() as receiver:
        runtime = await start_notifier(
            channels=[
                hook(f"h-{unique}", receiver.url),
                ChannelSettings(name=f"r-{unique}", type="recording"),
            ],
            route=route_for(cluster, [f"h-{unique}", f"r-{unique}"]),
        )
        events: list[Event] = [
            budget_event(cluster=cluster),
            anomaly_event(cluster=cluster),
            recommendation_event(cluster=cluster),
        ]
        for event in events:
            await publish_event(nc, event)
        requests = await receiver.wait_for(3)
        for event in events:
            await wait_status(runtime, event.event_id, f"r-{unique}", "delivered")
    bodies = [Webhook(SECRET).verify(r.body, r.headers) for r in requests]
    sent = sorted(n["event_id"] for b in bodies for n in b["notifications"])
    assert sent == sorted(str(e.event_id) for e in events)
    assert sorted(recording.event_ids(f"r-{unique}")) == sorted(e.event_id for e in events)


async def test_a_redelivered_event_is_sent_once(
    start_notifier: StartNotifier, recording: RecordingChannelType, nc: Client, unique: str
) -> None:
    cluster = f"n-{unique}"
    runtime = await start_notifier(
        channels=[ChannelSettings(name=f"r-{unique}", type="recording")],
        route=route_for(cluster, [f"r-{unique}"]),
    )
    event = budget_event(cluster=cluster)
    payload = event.model_dump_json().encode()
    # Distinct Nats-Msg-Ids bypass JetStream's dedupe: the notifier itself must dedupe.
    for copy in "abc":
        await publish_raw(nc, event.subject, payload, msg_id=f"{event.event_id}-{copy}")
    entry = await wait_status(runtime, event.event_id, f"r-{unique}", "delivered")
    later = anomaly_event(cluster=cluster)
    await publish_event(nc, later)
    await wait_status(runtime, later.event_id, f"r-{unique}", "delivered")
    assert entry["attempts"] == 1
    assert recording.event_ids(f"r-{unique}") == [event.event_id, later.event_id]


async def test_429_is_retried_after_retry_after(
    start_notifier: StartNotifier, nc: Client, unique: str
) -> None:
    cluster = f"n-{unique}"
    async with serving(Reply(429, "rate_limited", {"Retry-After": "1"}), Reply(200)) as receiver:
        runtime = await start_notifier(
            channels=[hook(f"h-{unique}", receiver.url)], route=route_for(cluster, [f"h-{unique}"])
        )
        event = budget_event(cluster=cluster)
        await publish_event(nc, event)
        entry = await wait_status(runtime, event.event_id, f"h-{unique}", "delivered")
        first, second = await receiver.wait_for(2)
    assert entry["attempts"] == 2
    assert entry["retry_after_s"] is None
    # The retry honoured Retry-After (a lower bound, not a speed check) and kept its webhook-id.
    assert second.at - first.at >= 1.0
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(entry["message_id"])


async def test_500_then_success(start_notifier: StartNotifier, nc: Client, unique: str) -> None:
    cluster = f"n-{unique}"
    async with serving(Reply(500, "oops"), Reply(200)) as receiver:
        runtime = await start_notifier(
            channels=[hook(f"h-{unique}", receiver.url)], route=route_for(cluster, [f"h-{unique}"])
        )
        event = anomaly_event(cluster=cluster)
        await publish_event(nc, event)
        entry = await wait_status(runtime, event.event_id, f"h-{unique}", "delivered")
        assert len(await receiver.wait_for(2)) == 2
    assert (entry["attempts"], entry["error"]) == (2, "")


async def test_a_slow_endpoint_does_not_delay_the_other_channels(
    start_notifier: StartNotifier, nc: Client, unique: str
) -> None:
    cluster = f"n-{unique}"
    release = asyncio.Event()
    async with serving(Reply(hold=release)) as slow, serving() as fast:
        runtime = await start_notifier(
            channels=[hook(f"slow-{unique}", slow.url), hook(f"fast-{unique}", fast.url)],
            route=route_for(cluster, [f"slow-{unique}", f"fast-{unique}"]),
            send_timeout_s=60,
        )
        first, second = budget_event(cluster=cluster), anomaly_event(cluster=cluster)
        await publish_event(nc, first)
        await publish_event(nc, second)
        await wait_status(runtime, first.event_id, f"fast-{unique}", "delivered")
        await wait_status(runtime, second.event_id, f"fast-{unique}", "delivered")
        # Both reached the fast endpoint while the slow one still holds its requests.
        await slow.wait_for(1)
        for event in (first, second):
            entry = (await deliveries(runtime, event.event_id))[f"slow-{unique}"]
            assert (entry["status"], entry["attempts"]) == ("pending", 0)
        release.set()
        await wait_status(runtime, second.event_id, f"slow-{unique}", "delivered")


async def test_410_disables_the_channel_and_dead_letters(
    start_notifier: StartNotifier,
    recording: RecordingChannelType,
    nc: Client,
    unique: str,
) -> None:
    cluster = f"n-{unique}"
    inbox = DeadLetterInbox(budget_event(cluster=cluster).subject)
    await nc.subscribe(dead_letter_subject(SERVICE, inbox.original_subject), cb=inbox.on_message)
    async with serving(Reply(410, "gone")) as receiver:
        runtime = await start_notifier(
            channels=[
                hook(f"h-{unique}", receiver.url),
                ChannelSettings(name=f"r-{unique}", type="recording"),
            ],
            route=route_for(cluster, [f"h-{unique}", f"r-{unique}"]),
        )
        first = budget_event(cluster=cluster)
        await publish_event(nc, first)
        entry = await wait_status(runtime, first.event_id, f"h-{unique}", "dead_lettered")
        channel = (await call(runtime, "GET", f"/v1/channels/h-{unique}")).json()
        second = budget_event(cluster=cluster, threshold_pct=100)
        await publish_event(nc, second)
        await wait_status(runtime, second.event_id, f"r-{unique}", "delivered")
        assert len(receiver.requests) == 1
    assert (entry["attempts"], entry["error"]) == (1, "HTTP 410: gone")
    assert (channel["enabled"], channel["disabled_reason"]) == (False, "HTTP 410: gone")
    assert f"h-{unique}" not in await deliveries(runtime, second.event_id)
    record = await inbox.first()
    assert record.reason == "endpoint gone: HTTP 410: gone"
    assert str(first.event_id) in record.payload


async def test_other_4xx_is_not_retried_and_the_last_attempt_dead_letters(
    start_notifier: StartNotifier, nc: Client, unique: str
) -> None:
    cluster = f"n-{unique}"
    subject = anomaly_event(cluster=cluster).subject
    inbox = DeadLetterInbox(subject)
    await nc.subscribe(dead_letter_subject(SERVICE, subject), cb=inbox.on_message)
    async with serving(Reply(400, "invalid_payload")) as refusing, serving(Reply(503)) as failing:
        runtime = await start_notifier(
            channels=[hook(f"bad-{unique}", refusing.url), hook(f"down-{unique}", failing.url)],
            route=route_for(cluster, [f"bad-{unique}", f"down-{unique}"]),
            retry=RetrySettings(initial_s=0.05, max_s=0.1, max_attempts=3),
        )
        event = anomaly_event(cluster=cluster)
        with structlog.testing.capture_logs() as logs:
            await publish_event(nc, event)
            refused = await wait_status(runtime, event.event_id, f"bad-{unique}", "failed")
            given_up = await wait_status(runtime, event.event_id, f"down-{unique}", "dead_lettered")
        assert len(refusing.requests) == 1
        assert len(failing.requests) == 3
    assert (refused["attempts"], refused["error"]) == (1, "HTTP 400: invalid_payload")
    assert (given_up["attempts"], given_up["error"]) == (3, "HTTP 503: ok")
    await inbox.first()
    async with asyncio.timeout(30):
        while len(inbox.records) < 2:
            await asyncio.sleep(0.05)
    assert sorted(r.reason for r in inbox.records) == [
        "failed 3 attempts: HTTP 503: ok",
        "refused: HTTP 400: invalid_payload",
    ]
    # Webhook URLs (their path is the secret) and signing secrets never reach the logs.
    text = repr(logs)
    assert "notify.delivery_failed" in text
    assert "s3cr3t" not in text
    assert SECRET not in text


async def test_recommendations_go_out_as_one_digest(
    start_notifier: StartNotifier, nc: Client, unique: str
) -> None:
    cluster = f"n-{unique}"
    async with serving() as receiver:
        route = route_for(cluster, [f"h-{unique}"], group_by=["cluster", "kind"], group_wait="3s")
        await start_notifier(channels=[hook(f"h-{unique}", receiver.url)], route=route)
        events = [
            recommendation_event(cluster=cluster, recommendation_id=f"r-{i}") for i in range(5)
        ]
        for event in events:
            await publish_event(nc, event)
        (request,) = await receiver.wait_for(1)
    body = Webhook(SECRET).verify(request.body, request.headers)
    assert body["title"] == f"5 new recommendations on {cluster}"
    assert body["group_labels"] == {"cluster": cluster, "kind": "recommendation"}
    assert sorted(n["event_id"] for n in body["notifications"]) == sorted(
        str(e.event_id) for e in events
    )


async def test_silences_mute_until_they_expire_and_repeats_are_suppressed(
    start_notifier: StartNotifier, recording: RecordingChannelType, nc: Client, unique: str
) -> None:
    cluster = f"n-{unique}"
    name = f"r-{unique}"
    runtime = await start_notifier(
        channels=[ChannelSettings(name=name, type="recording")],
        # The repeat lands in the same group, which flushes again after group_interval.
        route=route_for(cluster, [name], group_interval="1s"),
    )
    created = await call(
        runtime,
        "POST",
        "/v1/silences",
        json={
            "matchers": [f"cluster={cluster}", "kind=~budget|anomaly"],
            "ends_at": "2999-01-01T00:00:00Z",
        },
    )
    assert created.status_code == 201, created.text
    muted = budget_event(cluster=cluster)
    await publish_event(nc, muted)
    await wait_status(runtime, muted.event_id, name, "silenced")
    expired = await call(runtime, "DELETE", f"/v1/silences/{created.json()['id']}")
    assert expired.json()["active"] is False

    first = anomaly_event(cluster=cluster, anomaly_id="a-1")
    repeat = anomaly_event(cluster=cluster, anomaly_id="a-2")  # same labels: the same alert
    await publish_event(nc, first)
    await wait_status(runtime, first.event_id, name, "delivered")
    await publish_event(nc, repeat)
    await wait_status(runtime, repeat.event_id, name, "suppressed")
    assert recording.event_ids(name) == [first.event_id]
    assert Subject.ANOMALY_DETECTED.value in repeat.subject
