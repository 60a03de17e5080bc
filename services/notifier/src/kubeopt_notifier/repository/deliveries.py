"""SQL of the delivery log (one row per source event and channel). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import upsert_statement
from kubeopt_notifier.domain import DeliveryStatus
from kubeopt_notifier.models import DeliveryRecord


async def logged_pairs(
    session: AsyncSession, event_ids: Collection[uuid.UUID]
) -> set[tuple[uuid.UUID, str]]:
    """(event id, channel) pairs of ``event_ids`` that already have a delivery-log row."""
    if not event_ids:
        return set()
    result = await session.execute(
        select(DeliveryRecord.event_id, DeliveryRecord.channel).where(
            DeliveryRecord.event_id.in_(list(set(event_ids)))
        )
    )
    return {(row[0], row[1]) for row in result.all()}


async def add_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert log rows; a (event, channel) pair already logged keeps its row."""
    if rows:
        stmt = upsert_statement(session, DeliveryRecord).on_conflict_do_nothing(
            index_elements=[DeliveryRecord.event_id, DeliveryRecord.channel]
        )
        await session.execute(stmt, list(rows))


async def update_message_deliveries(
    session: AsyncSession, *, message_id: uuid.UUID, channel: str, values: dict[str, Any]
) -> None:
    """Copy an attempt's outcome onto every event row of the message."""
    await session.execute(
        update(DeliveryRecord)
        .where(DeliveryRecord.message_id == message_id)
        .where(DeliveryRecord.channel == channel)
        .values(**values)
    )


async def list_deliveries(
    session: AsyncSession,
    *,
    limit: int,
    status: DeliveryStatus | None = None,
    event_id: uuid.UUID | None = None,
    channel: str | None = None,
) -> Sequence[DeliveryRecord]:
    """The delivery log, newest attempt first, optionally filtered."""
    stmt = select(DeliveryRecord).order_by(
        DeliveryRecord.last_attempt_at.desc(), DeliveryRecord.id.desc()
    )
    if status is not None:
        stmt = stmt.where(DeliveryRecord.status == status.value)
    if event_id is not None:
        stmt = stmt.where(DeliveryRecord.event_id == event_id)
    if channel is not None:
        stmt = stmt.where(DeliveryRecord.channel == channel)
    return (await session.execute(stmt.limit(limit))).scalars().all()
