"""Stored confidence model versions (booster bytes, calibration, metrics)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_recommender.models import ModelRow


async def active(session: AsyncSession) -> ModelRow | None:
    stmt = select(ModelRow).where(ModelRow.active.is_(True)).order_by(ModelRow.version.desc())
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def active_version(session: AsyncSession) -> int | None:
    stmt = select(ModelRow.version).where(ModelRow.active.is_(True))
    return (await session.execute(stmt.order_by(ModelRow.version.desc()).limit(1))).scalar()


async def versions(session: AsyncSession) -> list[ModelRow]:
    return list((await session.execute(select(ModelRow).order_by(ModelRow.version))).scalars())


async def add(session: AsyncSession, row: ModelRow, *, activate: bool) -> ModelRow:
    """Store a version (and make it the only active one when ``activate``)."""
    if activate:
        await session.execute(update(ModelRow).values(active=False))
    row.active = activate
    session.add(row)
    await session.flush()
    return row


async def activate(session: AsyncSession, version: int | None) -> ModelRow | None:
    """Make ``version`` the only active model (None: none, the fallback scores); returns it,
    or None when ``version`` does not exist (nothing changes then)."""
    row = None
    if version is not None:
        row = await session.get(ModelRow, version)
        if row is None:
            return None
    await session.execute(update(ModelRow).values(active=False))
    if row is not None:
        row.active = True
    return row
