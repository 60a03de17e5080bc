"""SQL of the per-channel outbox (the durable retry queue). Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import upsert_statement
from kubeopt_notifier.models import OutboxRecord

PENDING = "pending"


async def add_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Queue messages; one already queued (same id and channel) is left as it is."""
    if rows:
        stmt = upsert_statement(session, OutboxRecord).on_conflict_do_nothing(
            index_elements=[OutboxRecord.message_id, OutboxRecord.channel]
        )
        await session.execute(stmt, list(rows))


async def claim_due(
    session: AsyncSession, channel: str, *, now: datetime, lease_until: datetime, limit: int
) -> Sequence[OutboxRecord]:
    """Up to ``limit`` due messages of ``channel``, oldest first, leased until ``lease_until``.

    The lease is taken by a conditional UPDATE, so two replicas never send the same attempt;
    a worker that dies mid-send loses its lease and the message is tried again.
    """
    free = or_(OutboxRecord.lease_until.is_(None), OutboxRecord.lease_until < now)
    due = (
        select(OutboxRecord.id)
        .where(OutboxRecord.channel == channel)
        .where(OutboxRecord.status == PENDING)
        .where(OutboxRecord.next_attempt_at <= now)
        .where(free)
        .order_by(OutboxRecord.next_attempt_at, OutboxRecord.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(OutboxRecord)
        .where(OutboxRecord.id.in_(due.scalar_subquery()))
        .where(OutboxRecord.status == PENDING)
        .where(free)
        .values(lease_until=lease_until)
        .returning(OutboxRecord)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars().all(), key=lambda r: (r.next_attempt_at, r.id))


async def get_message(session: AsyncSession, outbox_id: int) -> OutboxRecord | None:
    return await session.get(OutboxRecord, outbox_id, populate_existing=True)


async def next_due(session: AsyncSession, channel: str) -> datetime | None:
    """When the next message of ``channel`` can be taken (its attempt time, or the end of
    another worker's lease on it)."""
    takeable = case(
        (OutboxRecord.lease_until > OutboxRecord.next_attempt_at, OutboxRecord.lease_until),
        else_=OutboxRecord.next_attempt_at,
    )
    result = await session.execute(
        select(func.min(takeable))
        .where(OutboxRecord.channel == channel)
        .where(OutboxRecord.status == PENDING)
    )
    value: datetime | None = result.scalar_one_or_none()
    return value


async def pending_of(session: AsyncSession, channel: str) -> Sequence[OutboxRecord]:
    result = await session.execute(
        select(OutboxRecord)
        .where(OutboxRecord.channel == channel)
        .where(OutboxRecord.status == PENDING)
    )
    return result.scalars().all()


async def channels_with_pending(session: AsyncSession) -> set[str]:
    result = await session.execute(
        select(OutboxRecord.channel).where(OutboxRecord.status == PENDING).distinct()
    )
    return {row[0] for row in result.all()}
