"""Orchestration of the notifier: what is still to send, sending, logging. Never commits.

The handler runs the three steps with separate units of work so that no database transaction
stays open while a channel talks to a slow remote endpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.telemetry.logging import get_logger
from kubeopt_notifier import repository
from kubeopt_notifier.channels.base import Channel
from kubeopt_notifier.domain import DeliveryAttempt, DeliveryResult, Notification

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    notification: Notification
    channel: Channel


async def pending_deliveries(
    session: AsyncSession, notifications: Sequence[Notification], channels: Sequence[Channel]
) -> list[PendingDelivery]:
    """Every (notification, channel) pair not yet delivered, each pair once.

    A pair is skipped when the log says it was delivered (a redelivered event) or when it
    already appeared earlier in ``notifications`` (the same event twice in one batch).
    """
    done = await repository.delivered_pairs(session, {n.source_event_id for n in notifications})
    pending = []
    for notification in notifications:
        for channel in channels:
            key = (notification.source_event_id, channel.name)
            if key not in done:
                done.add(key)
                pending.append(PendingDelivery(notification, channel))
    return pending


async def send_all(
    pending: Sequence[PendingDelivery], *, timeout_s: float
) -> list[DeliveryAttempt]:
    """Send every pending delivery concurrently; each result, failures included."""
    return list(await asyncio.gather(*(_send(p, timeout_s=timeout_s) for p in pending)))


async def _send(pending: PendingDelivery, *, timeout_s: float) -> DeliveryAttempt:
    channel = pending.channel
    try:
        async with asyncio.timeout(timeout_s):
            result = await channel.send(pending.notification)
    except TimeoutError:
        result = DeliveryResult.retryable(f"no answer within {timeout_s:g} s")
    except Exception as err:
        # A channel bug must not stop the other channels; it is logged and retried.
        log.exception("notify.channel_crashed", channel=channel.name, channel_type=channel.type)
        result = DeliveryResult.retryable(f"{type(err).__name__}: {err}")
    if not result.ok:
        log.warning(
            "notify.delivery_failed",
            channel=channel.name,
            source_event_id=str(pending.notification.source_event_id),
            status=result.status.value,
            error=result.error,
        )
    return DeliveryAttempt(pending.notification, channel.name, channel.type, result)


async def record_attempts(
    session: AsyncSession, attempts: Sequence[DeliveryAttempt], *, now: datetime
) -> None:
    """Log every attempt (one row per event and channel, attempts counted)."""
    await repository.record_attempts(session, attempts, now=now)
