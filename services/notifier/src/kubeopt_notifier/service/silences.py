"""Silences: matcher sets that mute notifications until they expire. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_notifier.domain.matchers import parse_matcher
from kubeopt_notifier.errors import SilenceNotFoundError
from kubeopt_notifier.models import SilenceRecord
from kubeopt_notifier.repository import silences


async def create_silence(
    session: AsyncSession,
    *,
    matchers: Sequence[str],
    starts_at: datetime,
    ends_at: datetime,
    created_by: str,
    comment: str,
    now: datetime,
) -> SilenceRecord:
    """Store a silence; matchers must parse (``MatcherError`` names the bad one)."""
    for text in matchers:
        parse_matcher(text)
    record = SilenceRecord(
        id=str(uuid.uuid4()),
        matchers=list(matchers),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
        comment=comment,
        created_at=now,
    )
    await silences.add_silence(session, record)
    return record


async def list_silences(
    session: AsyncSession, *, active_at: datetime | None
) -> Sequence[SilenceRecord]:
    return await silences.list_silences(session, active_at=active_at)


async def expire_silence(session: AsyncSession, silence_id: str, *, now: datetime) -> SilenceRecord:
    """End a silence now (it stays listed, expired)."""
    record = await silences.get_silence(session, silence_id)
    if record is None:
        raise SilenceNotFoundError(f"no silence with id {silence_id!r}")
    record.ends_at = min(record.ends_at, now)
    await session.flush()
    return record
