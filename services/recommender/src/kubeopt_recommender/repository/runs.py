"""Optimization runs: created by the API or the schedule, progressed by the run executor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_recommender.models import RunRow


async def get(session: AsyncSession, run_id: str) -> RunRow | None:
    return (await session.execute(select(RunRow).where(RunRow.id == run_id))).scalar_one_or_none()


async def recent(session: AsyncSession, *, limit: int) -> list[RunRow]:
    stmt = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id).limit(limit)
    return list((await session.execute(stmt)).scalars().all())


async def latest_created_at(session: AsyncSession, *, trigger: str) -> datetime | None:
    """When the newest run with this trigger was created (None if never)."""
    stmt = (
        select(RunRow.created_at)
        .where(RunRow.trigger == trigger)
        .order_by(RunRow.created_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
