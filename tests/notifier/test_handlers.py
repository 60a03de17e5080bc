"""The notifier on a real nats-server and PostgreSQL: each event reaches each channel once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from nats.aio.client import Client

from kubeopt_common.events import Event, Subject, dead_letter_subject, for_cluster
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_notifier.app import (
    ANOMALY_DURABLE,
    BUDGET_DURABLE,
    RECOMMENDATION_DURABLE,
    SERVICE,
)
from tests.jetstream import DeadLetterInbox, publish_event, publish_raw, wait_until_acked
from tests.notifier.builders import (
    RecordingChannelType,
    anomaly_event,
    budget_event,
    recommendation_event,
)
from tests.notifier.conftest import API_TOKEN

EVENT_KINDS: list[tuple[Callable[..., Event], Subject, str]] = [
    (budget_event, Subject.BUDGET_THRESHOLD_CROSSED, BUDGET_DURABLE),
    (anomaly_event, Subject.ANOMALY_DETECTED, ANOMALY_DURABLE),
    (recommendation_event, Subject.RECOMMENDATION_CREATED, RECOMMENDATION_DURABLE),
]


async def _deliveries(runtime: ServiceRuntime, event_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """The delivery log of one event, by channel name."""
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
        response = await client.get(
            "/v1/deliveries",
            params={"event_id": str(event_id)},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
    assert response.status_code == 200, response.text
    return {d["channel"]: d for d in response.json()["deliveries"]}


def _sent_ids(recording: RecordingChannelType, channel: str) -> list[uuid.UUID]:
    return [n.source_event_id for n in recording.sent.get(channel, [])]


@pytest.mark.parametrize(("make_event", "subject", "durable"), EVENT_KINDS)
async def test_each_event_kind_is_delivered_to_every_enabled_channel_once(
    running_notifier: ServiceRuntime,
    recording: RecordingChannelType,
    nc: Client,
    unique: str,
    make_event: Callable[..., Event],
    subject: Subject,
    durable: str,
) -> None:
    event = make_event(cluster=f"n-{unique}")
    seq = await publish_event(nc, event)
    await wait_until_acked(nc, subject=subject, durable=durable, stream_seq=seq)

    log = await _deliveries(running_notifier, event.event_id)
    assert sorted(log) == ["audit", "flaky", "log"]
    assert {d["status"] for d in log.values()} == {"delivered"}
    assert (log["audit"]["attempts"], log["log"]["attempts"]) == (1, 1)
    # flaky failed once (retryable): the message was nacked and redelivered, and only flaky
    # was tried again.
    assert log["flaky"]["attempts"] == 2
    assert log["flaky"]["error"] == ""
    assert log["log"]["source_subject"] == event.subject
    assert _sent_ids(recording, "audit") == [event.event_id]
    assert _sent_ids(recording, "flaky") == [event.event_id]
    assert _sent_ids(recording, "muted") == []


async def test_a_duplicate_delivery_is_sent_once(
    running_notifier: ServiceRuntime, recording: RecordingChannelType, nc: Client, unique: str
) -> None:
    event = budget_event(cluster=f"n-{unique}")
    payload = event.model_dump_json().encode()
    # Distinct Nats-Msg-Ids bypass JetStream's dedupe: the notifier itself must dedupe.
    await publish_raw(nc, event.subject, payload, msg_id=f"{event.event_id}-a")
    seq = await publish_raw(nc, event.subject, payload, msg_id=f"{event.event_id}-b")
    await wait_until_acked(
        nc, subject=Subject.BUDGET_THRESHOLD_CROSSED, durable=BUDGET_DURABLE, stream_seq=seq
    )

    log = await _deliveries(running_notifier, event.event_id)
    assert log["audit"]["attempts"] == 1
    assert _sent_ids(recording, "audit") == [event.event_id]
    assert _sent_ids(recording, "flaky") == [event.event_id]


async def test_malformed_message_is_dead_lettered_and_the_next_one_processed(
    running_notifier: ServiceRuntime, recording: RecordingChannelType, nc: Client, unique: str
) -> None:
    cluster = f"n-{unique}"
    subject = for_cluster(Subject.ANOMALY_DETECTED, cluster)
    inbox = DeadLetterInbox(subject)
    await nc.subscribe(dead_letter_subject(SERVICE, subject), cb=inbox.on_message)

    await publish_raw(
        nc, subject, b'{"anomaly_id": "a-1", "severity": "apocalyptic"}', msg_id=unique
    )
    event = anomaly_event(cluster=cluster)
    seq = await publish_event(nc, event)
    await wait_until_acked(
        nc, subject=Subject.ANOMALY_DETECTED, durable=ANOMALY_DURABLE, stream_seq=seq
    )

    record = await inbox.first()
    assert record.reason.startswith("invalid AnomalyDetected")
    assert record.service == SERVICE
    assert _sent_ids(recording, "audit") == [event.event_id]
