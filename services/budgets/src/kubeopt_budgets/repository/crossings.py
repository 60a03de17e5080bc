"""SQL of threshold crossings: insert-or-nothing, the unpublished outbox. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets.models import Crossing
from kubeopt_common.db.database import upsert_statement


async def insert_new_crossings(
    session: AsyncSession, rows: Sequence[dict[str, object]]
) -> set[uuid.UUID]:
    """Insert each crossing unless its (budget, period, threshold, basis) exists; the ids of
    the rows this transaction inserted.

    ``ON CONFLICT DO NOTHING`` on the unique key: when two transactions insert the same key,
    the second waits for the first and inserts nothing if it commits — the crossing exists
    exactly once, and only the transaction that created it publishes it.
    """
    if not rows:
        return set()
    stmt = upsert_statement(session, Crossing)
    insert = stmt.on_conflict_do_nothing(
        index_elements=[
            Crossing.budget_id,
            Crossing.period_start,
            Crossing.threshold_pct,
            Crossing.basis,
        ]
    ).returning(Crossing.event_id)
    inserted: set[uuid.UUID] = set()
    # One statement per row: RETURNING with executemany is not portable across drivers.
    for row in rows:
        result = await session.execute(insert.values(**row))
        inserted.update(r[0] for r in result.all())
    return inserted


async def crossings_by_id(session: AsyncSession, ids: Collection[uuid.UUID]) -> Sequence[Crossing]:
    if not ids:
        return []
    result = await session.execute(select(Crossing).where(Crossing.event_id.in_(list(ids))))
    return result.scalars().all()


async def unpublished_crossings(
    session: AsyncSession, *, crossed_before: datetime, limit: int
) -> Sequence[Crossing]:
    """Crossings committed before ``crossed_before`` whose event was never acknowledged,
    locked for this transaction (``SKIP LOCKED``: replicas' relays share the work)."""
    stmt = (
        select(Crossing)
        .where(Crossing.published_at.is_(None))
        .where(Crossing.crossed_at < crossed_before)
        .order_by(Crossing.crossed_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()


async def mark_published(
    session: AsyncSession, ids: Collection[uuid.UUID], *, now: datetime
) -> None:
    if ids:
        await session.execute(
            update(Crossing)
            .where(Crossing.event_id.in_(list(ids)))
            .where(Crossing.published_at.is_(None))
            .values(published_at=now)
        )


async def crossings_of(
    session: AsyncSession, budget_id: str, *, period_starts: Collection[datetime]
) -> Sequence[Crossing]:
    """The crossings of a budget in the periods starting at ``period_starts``."""
    if not period_starts:
        return []
    result = await session.execute(
        select(Crossing)
        .where(Crossing.budget_id == budget_id)
        .where(Crossing.period_start.in_(list(period_starts)))
        .order_by(Crossing.crossed_at, Crossing.threshold_pct)
    )
    return result.scalars().all()


async def crossed_keys(
    session: AsyncSession, budget_id: str, period_start: datetime
) -> set[tuple[int, str]]:
    """(threshold pct, basis) already crossed by a budget in one period."""
    result = await session.execute(
        select(Crossing.threshold_pct, Crossing.basis)
        .where(Crossing.budget_id == budget_id)
        .where(Crossing.period_start == period_start)
    )
    return {(row[0], row[1]) for row in result.all()}
