"""SQL of silences. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_notifier.models import SilenceRecord


async def add_silence(session: AsyncSession, record: SilenceRecord) -> None:
    session.add(record)
    await session.flush()


async def get_silence(session: AsyncSession, silence_id: str) -> SilenceRecord | None:
    return await session.get(SilenceRecord, silence_id)


async def list_silences(
    session: AsyncSession, *, active_at: datetime | None
) -> Sequence[SilenceRecord]:
    """Silences, newest first; only those in force at ``active_at`` when given."""
    stmt = select(SilenceRecord).order_by(SilenceRecord.created_at.desc())
    if active_at is not None:
        stmt = stmt.where(SilenceRecord.starts_at <= active_at).where(
            SilenceRecord.ends_at > active_at
        )
    return (await session.execute(stmt)).scalars().all()
