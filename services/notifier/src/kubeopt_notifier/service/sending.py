"""Attempts on the outbox: claim, record the outcome, schedule the retry. Never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_notifier.domain import DeliveryResult, DeliveryStatus, Message, ResultStatus
from kubeopt_notifier.domain.delivery import RetryPolicy
from kubeopt_notifier.models import OutboxRecord
from kubeopt_notifier.repository import channels, deliveries, outbox


@dataclass(frozen=True, slots=True)
class DeadLetterNote:
    """A message given up on, with why: published to the dead-letter subject after commit."""

    message: Message
    reason: str
    attempts: int


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    status: DeliveryStatus
    channel_disabled: bool = False
    dead_letters: list[DeadLetterNote] = field(default_factory=list)


async def claim_due(
    session: AsyncSession, channel: str, *, now: datetime, lease_s: float, limit: int
) -> list[tuple[int, Message]]:
    """Up to ``limit`` due messages of ``channel``, leased for ``lease_s`` seconds."""
    rows = await outbox.claim_due(
        session, channel, now=now, lease_until=now + timedelta(seconds=lease_s), limit=limit
    )
    return [(row.id, Message.model_validate(row.message)) for row in rows]


async def next_due(session: AsyncSession, channel: str) -> datetime | None:
    return await outbox.next_due(session, channel)


async def channels_with_pending(session: AsyncSession) -> set[str]:
    return await outbox.channels_with_pending(session)


def _finish(row: OutboxRecord, status: str, error: str, now: datetime) -> None:
    row.status = status
    row.last_error = error
    row.finished_at = now
    row.lease_until = None


async def _log(
    session: AsyncSession,
    row: OutboxRecord,
    status: DeliveryStatus,
    result: DeliveryResult,
    now: datetime,
) -> None:
    values: dict[str, object] = {
        "status": status.value,
        "attempts": row.attempts,
        "error": result.error,
        "retry_after_s": result.retry_after_s,
        "last_attempt_at": now,
    }
    if status is DeliveryStatus.DELIVERED:
        values["delivered_at"] = now
    await deliveries.update_message_deliveries(
        session, message_id=row.message_id, channel=row.channel, values=values
    )


async def _disable(
    session: AsyncSession, row: OutboxRecord, reason: str, now: datetime
) -> list[DeadLetterNote]:
    """Disable the channel; every other message waiting for it is dead-lettered."""
    await channels.disable_channel(session, row.channel, reason=reason, now=now)
    notes = []
    for other in await outbox.pending_of(session, row.channel):
        if other.id == row.id:
            continue
        _finish(other, "dead_lettered", f"channel disabled: {reason}", now)
        gave_up = DeliveryResult.failed(f"channel disabled: {reason}")
        await _log(session, other, DeliveryStatus.DEAD_LETTERED, gave_up, now)
        notes.append(
            DeadLetterNote(Message.model_validate(other.message), gave_up.error, other.attempts)
        )
    return notes


async def record_attempt(
    session: AsyncSession,
    outbox_id: int,
    result: DeliveryResult,
    *,
    policy: RetryPolicy,
    now: datetime,
    draw: float,
) -> AttemptOutcome:
    """Apply one attempt's result: delivered; retried after backoff (or ``Retry-After``);
    given up (4xx, or the last attempt) and dead-lettered; or, on 410, the channel disabled."""
    outcome = await _apply(session, outbox_id, result, policy=policy, now=now, draw=draw)
    # The session does not autoflush: later queries in this transaction must see the change.
    await session.flush()
    return outcome


async def _apply(
    session: AsyncSession,
    outbox_id: int,
    result: DeliveryResult,
    *,
    policy: RetryPolicy,
    now: datetime,
    draw: float,
) -> AttemptOutcome:
    row = await outbox.get_message(session, outbox_id)
    if row is None or row.status != outbox.PENDING:  # finished meanwhile (channel disabled)
        return AttemptOutcome(DeliveryStatus.DEAD_LETTERED)
    row.attempts += 1
    message = Message.model_validate(row.message)
    if result.ok:
        _finish(row, "delivered", "", now)
        await _log(session, row, DeliveryStatus.DELIVERED, result, now)
        return AttemptOutcome(DeliveryStatus.DELIVERED)
    retry = result.status is ResultStatus.RETRYABLE and not policy.exhausted(row.attempts)
    if retry:
        delay = policy.delay_s(row.attempts, draw=draw, retry_after_s=result.retry_after_s)
        row.next_attempt_at = now + timedelta(seconds=delay)
        row.lease_until = None
        row.last_error = result.error
        row.retry_after_s = result.retry_after_s
        await _log(session, row, DeliveryStatus.RETRYING, result, now)
        return AttemptOutcome(DeliveryStatus.RETRYING)
    final = (
        DeliveryStatus.FAILED
        if result.status is ResultStatus.FAILED
        else DeliveryStatus.DEAD_LETTERED
    )
    _finish(row, final.value, result.error, now)
    await _log(session, row, final, result, now)
    why = {
        ResultStatus.FAILED: "refused",
        ResultStatus.GONE: "endpoint gone",
        ResultStatus.RETRYABLE: f"failed {row.attempts} attempts",
    }[result.status]
    notes = [DeadLetterNote(message, f"{why}: {result.error}", row.attempts)]
    if result.status is ResultStatus.GONE:
        notes += await _disable(session, row, result.error, now)
    return AttemptOutcome(final, result.status is ResultStatus.GONE, notes)
