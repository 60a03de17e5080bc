"""SQL of routing groups, their alerts and the repeat log. Never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import upsert_statement
from kubeopt_notifier.domain.routing import Route
from kubeopt_notifier.models import AlertRecord, GroupRecord, NotifiedRecord


def group_row(
    route: Route, *, group_key: str, labels: dict[str, str], now: datetime
) -> dict[str, Any]:
    """A new group of ``route``, due after its ``group_wait``."""
    return {
        "group_key": group_key,
        "route": route.id,
        "group_labels": labels,
        "channels": list(route.channels),
        "group_wait_s": route.group_wait_s,
        "group_interval_s": route.group_interval_s,
        "repeat_interval_s": route.repeat_interval_s,
        "next_flush_at": now + timedelta(seconds=route.group_wait_s),
        "not_before": None,
        "last_flush_at": None,
    }


async def touch_groups(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Create each group (due after ``group_wait``) or, when it is idle, make it due again —
    after ``group_wait`` but never before ``group_interval`` since its last flush."""
    if not rows:
        return
    stmt = upsert_statement(session, GroupRecord)
    idle_due = case(
        (
            GroupRecord.not_before.is_not(None)
            & (GroupRecord.not_before > stmt.excluded.next_flush_at),
            GroupRecord.not_before,
        ),
        else_=stmt.excluded.next_flush_at,
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=[GroupRecord.group_key],
        set_={
            "channels": stmt.excluded.channels,
            "group_wait_s": stmt.excluded.group_wait_s,
            "group_interval_s": stmt.excluded.group_interval_s,
            "repeat_interval_s": stmt.excluded.repeat_interval_s,
            "next_flush_at": case(
                (GroupRecord.next_flush_at.is_(None), idle_due), else_=GroupRecord.next_flush_at
            ),
        },
    )
    await session.execute(upsert, list(rows))


async def add_alerts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert alerts, except events already in their group (redeliveries)."""
    if rows:
        stmt = upsert_statement(session, AlertRecord).on_conflict_do_nothing(
            index_elements=[AlertRecord.group_key, AlertRecord.event_id]
        )
        await session.execute(stmt, list(rows))


async def next_group_due(session: AsyncSession) -> datetime | None:
    result = await session.execute(
        select(GroupRecord.next_flush_at)
        .where(GroupRecord.next_flush_at.is_not(None))
        .order_by(GroupRecord.next_flush_at)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def claim_due_groups(
    session: AsyncSession, *, now: datetime, limit: int
) -> Sequence[GroupRecord]:
    """Take the groups due at ``now`` for this flush: their due time is cleared and
    ``not_before`` set to the end of their ``group_interval``. A group is taken by one flush
    only (PostgreSQL: ``SKIP LOCKED``; the UPDATE re-checks the due time)."""
    due = (
        select(GroupRecord.group_key)
        .where(GroupRecord.next_flush_at <= now)
        .order_by(GroupRecord.next_flush_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(GroupRecord)
        .where(GroupRecord.group_key.in_(due.scalar_subquery()))
        .where(GroupRecord.next_flush_at <= now)
        .values(next_flush_at=None, last_flush_at=now)
        .returning(GroupRecord)
        .execution_options(synchronize_session=False)
    )
    claimed = result.scalars().all()
    if claimed:
        await session.execute(
            update(GroupRecord),
            [
                {
                    "group_key": g.group_key,
                    "not_before": now + timedelta(seconds=g.group_interval_s),
                }
                for g in claimed
            ],
        )
    return claimed


async def pending_alerts(
    session: AsyncSession, group_keys: Collection[str]
) -> Sequence[AlertRecord]:
    result = await session.execute(
        select(AlertRecord)
        .where(AlertRecord.group_key.in_(list(group_keys)))
        .where(AlertRecord.status == "pending")
        .order_by(AlertRecord.id)
    )
    return result.scalars().all()


async def mark_alerts_flushed(session: AsyncSession, ids: Collection[int]) -> None:
    if ids:
        await session.execute(
            update(AlertRecord).where(AlertRecord.id.in_(list(ids))).values(status="flushed")
        )


async def notified_at(
    session: AsyncSession, group_keys: Collection[str]
) -> dict[tuple[str, str], datetime]:
    """(group key, fingerprint) → when that alert was last notified in that group."""
    if not group_keys:
        return {}
    result = await session.execute(
        select(
            NotifiedRecord.group_key, NotifiedRecord.fingerprint, NotifiedRecord.notified_at
        ).where(NotifiedRecord.group_key.in_(list(group_keys)))
    )
    return {(row[0], row[1]): row[2] for row in result.all()}


async def record_notified(
    session: AsyncSession, keys: Collection[tuple[str, str]], *, now: datetime
) -> None:
    """Note (group key, fingerprint) pairs as notified at ``now``."""
    if not keys:
        return
    stmt = upsert_statement(session, NotifiedRecord)
    upsert = stmt.on_conflict_do_update(
        index_elements=[NotifiedRecord.group_key, NotifiedRecord.fingerprint],
        set_={"notified_at": stmt.excluded.notified_at},
    )
    await session.execute(
        upsert,
        [
            {"group_key": group, "fingerprint": fingerprint, "notified_at": now}
            for group, fingerprint in sorted(keys)
        ],
    )
