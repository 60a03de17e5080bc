"""SQL of the notifier service. Works on PostgreSQL (psycopg 3) and SQLite (aiosqlite).

Repositories never commit: the handler or route that owns the unit of work does.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import upsert_statement
from kubeopt_notifier.domain import DeliveryAttempt, DeliveryStatus
from kubeopt_notifier.models import DeliveryRecord


async def delivered_pairs(
    session: AsyncSession, event_ids: Collection[uuid.UUID]
) -> set[tuple[uuid.UUID, str]]:
    """(event id, channel) pairs already delivered, among ``event_ids``."""
    if not event_ids:
        return set()
    result = await session.execute(
        select(DeliveryRecord.event_id, DeliveryRecord.channel)
        .where(DeliveryRecord.event_id.in_(list(event_ids)))
        .where(DeliveryRecord.status == DeliveryStatus.DELIVERED.value)
    )
    return {(row[0], row[1]) for row in result.all()}


async def record_attempts(
    session: AsyncSession, attempts: Sequence[DeliveryAttempt], *, now: datetime
) -> None:
    """Log each attempt on its (event, channel) row: insert, or count one more attempt.

    A ``delivered`` row is final: a late attempt result never turns it back into a failure.
    ``attempts`` must hold each (event, channel) pair at most once.
    """
    if not attempts:
        return
    stmt = upsert_statement(session, DeliveryRecord)
    upsert = stmt.on_conflict_do_update(
        index_elements=[DeliveryRecord.event_id, DeliveryRecord.channel],
        set_={
            "status": stmt.excluded.status,
            "attempts": DeliveryRecord.attempts + 1,
            "error": stmt.excluded.error,
            "retry_after_s": stmt.excluded.retry_after_s,
            "last_attempt_at": stmt.excluded.last_attempt_at,
            "delivered_at": case(
                (DeliveryRecord.delivered_at.is_(None), stmt.excluded.delivered_at),
                else_=DeliveryRecord.delivered_at,
            ),
        },
        where=DeliveryRecord.status != DeliveryStatus.DELIVERED.value,
    )
    await session.execute(upsert, [_row(attempt, now) for attempt in attempts])


def _row(attempt: DeliveryAttempt, now: datetime) -> dict[str, object]:
    n = attempt.notification
    result = attempt.result
    return {
        "event_id": n.source_event_id,
        "channel": attempt.channel,
        "channel_type": attempt.channel_type,
        "source_subject": n.source_subject,
        "kind": n.kind,
        "cluster": n.cluster,
        "title": n.title,
        "severity": n.severity.value,
        "status": result.status.value,
        "attempts": 1,
        "error": result.error,
        "retry_after_s": result.retry_after_s,
        "first_attempt_at": now,
        "last_attempt_at": now,
        "delivered_at": now if result.ok else None,
    }


async def list_deliveries(
    session: AsyncSession,
    *,
    limit: int,
    status: DeliveryStatus | None = None,
    event_id: uuid.UUID | None = None,
) -> Sequence[DeliveryRecord]:
    """The delivery log, newest attempt first, optionally of one status or one source event."""
    stmt = select(DeliveryRecord).order_by(
        DeliveryRecord.last_attempt_at.desc(), DeliveryRecord.id.desc()
    )
    if status is not None:
        stmt = stmt.where(DeliveryRecord.status == status.value)
    if event_id is not None:
        stmt = stmt.where(DeliveryRecord.event_id == event_id)
    result = await session.execute(stmt.limit(limit))
    return result.scalars().all()
