"""SQL of configured channels. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_notifier.models import ChannelRecord


async def list_channels(session: AsyncSession) -> Sequence[ChannelRecord]:
    """Every channel, by name."""
    return (
        (await session.execute(select(ChannelRecord).order_by(ChannelRecord.name))).scalars().all()
    )


async def get_channel(session: AsyncSession, name: str) -> ChannelRecord | None:
    return await session.get(ChannelRecord, name)


async def add_channel(session: AsyncSession, record: ChannelRecord) -> None:
    session.add(record)
    await session.flush()


async def delete_channel(session: AsyncSession, name: str) -> None:
    await session.execute(delete(ChannelRecord).where(ChannelRecord.name == name))


async def disable_channel(session: AsyncSession, name: str, *, reason: str, now: datetime) -> None:
    await session.execute(
        update(ChannelRecord)
        .where(ChannelRecord.name == name)
        .values(enabled=False, disabled_reason=reason, updated_at=now)
    )
