"""What is still to send, and how channel timeouts and crashes are recorded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_notifier import repository, service
from kubeopt_notifier.channels.log import LogChannel
from kubeopt_notifier.domain import (
    DeliveryAttempt,
    DeliveryResult,
    DeliveryStatus,
    Notification,
    notification_from_budget,
)
from tests.notifier.builders import RecordingChannel, budget_event


class HangingChannel:
    type: ClassVar[str] = "hanging"
    name = "hanging"

    async def send(self, notification: Notification) -> DeliveryResult:
        await asyncio.Event().wait()
        return DeliveryResult.delivered()


class CrashingChannel:
    type: ClassVar[str] = "crashing"
    name = "crashing"

    async def send(self, notification: Notification) -> DeliveryResult:
        msg = f"no template for {notification.kind}"
        raise KeyError(msg)


async def test_pending_skips_delivered_pairs_and_repeats_in_a_batch(
    db_session: AsyncSession,
) -> None:
    done = notification_from_budget(budget_event())
    fresh = notification_from_budget(budget_event())
    a = RecordingChannel(name="a", failures=0, sent=[])
    b = RecordingChannel(name="b", failures=0, sent=[])
    await repository.record_attempts(
        db_session,
        [DeliveryAttempt(done, "a", "recording", DeliveryResult.delivered())],
        now=datetime.now(UTC),
    )
    pending = await service.pending_deliveries(db_session, [done, fresh, done, fresh], [a, b])
    assert [(p.notification.source_event_id, p.channel.name) for p in pending] == [
        (done.source_event_id, "b"),
        (fresh.source_event_id, "a"),
        (fresh.source_event_id, "b"),
    ]


async def test_timeouts_and_crashes_become_retryable_results() -> None:
    n = notification_from_budget(budget_event())
    pending = [
        service.PendingDelivery(n, HangingChannel()),
        service.PendingDelivery(n, CrashingChannel()),
        service.PendingDelivery(n, LogChannel(name="log")),
    ]
    attempts = await service.send_all(pending, timeout_s=0.05)
    assert [(a.channel, a.channel_type, a.result.status) for a in attempts] == [
        ("hanging", "hanging", DeliveryStatus.RETRYABLE),
        ("crashing", "crashing", DeliveryStatus.RETRYABLE),
        ("log", "log", DeliveryStatus.DELIVERED),
    ]
    assert attempts[0].result.error == "no answer within 0.05 s"
    assert attempts[1].result.error == "KeyError: 'no template for budget'"
