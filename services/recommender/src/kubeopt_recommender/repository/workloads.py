"""Workload facts from inventory snapshots, snapshot completeness, and vanished workloads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import upsert_statement
from kubeopt_recommender.domain.workloads import WorkloadFacts
from kubeopt_recommender.models import SnapshotPart, WorkloadRow

WorkloadKey = tuple[str, str, str]
"""(namespace, kind, name) within a cluster."""
_KEY = (WorkloadRow.namespace, WorkloadRow.kind, WorkloadRow.name)


@dataclass(frozen=True, slots=True)
class StoredWorkload:
    facts: WorkloadFacts
    spec_snapshot: str
    pods_snapshot: str
    last_seen: datetime
    vanished_at: datetime | None
    vanished_reason: str


def _stored(row: WorkloadRow) -> StoredWorkload:
    return StoredWorkload(
        WorkloadFacts.from_json(row.facts),
        row.spec_snapshot,
        row.pods_snapshot,
        row.last_seen,
        row.vanished_at,
        row.vanished_reason,
    )


async def get_workloads(
    session: AsyncSession,
    cluster: str,
    keys: Collection[WorkloadKey] | None = None,
    *,
    lock: bool = False,
) -> dict[WorkloadKey, StoredWorkload]:
    """Workloads of ``cluster`` (only ``keys`` when given), vanished ones included."""
    stmt = select(WorkloadRow).where(WorkloadRow.cluster == cluster).order_by(*_KEY)
    if keys is not None:
        if not keys:
            return {}
        stmt = stmt.where(tuple_(*_KEY).in_(sorted(keys)))
    if lock:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt)
    return {(r.namespace, r.kind, r.name): _stored(r) for r in result.scalars().all()}


@dataclass(frozen=True, slots=True)
class WorkloadWrite:
    key: WorkloadKey
    facts: WorkloadFacts
    spec_snapshot: str
    pods_snapshot: str
    last_seen: datetime


async def save_workloads(
    session: AsyncSession,
    cluster: str,
    writes: Sequence[WorkloadWrite],
    *,
    existing: Collection[WorkloadKey],
) -> None:
    """Write facts; a written workload is no longer vanished."""
    fresh: list[dict[str, Any]] = []
    for w in writes:
        values: dict[str, Any] = {
            "facts": w.facts.to_json(),
            "spec_snapshot": w.spec_snapshot,
            "pods_snapshot": w.pods_snapshot,
            "last_seen": w.last_seen,
            "vanished_at": None,
            "vanished_reason": "",
        }
        if w.key in existing:
            await session.execute(
                update(WorkloadRow)
                .where(WorkloadRow.cluster == cluster, tuple_(*_KEY) == tuple_(*w.key))
                .values(**values)
            )
        else:
            namespace, kind, name = w.key
            fresh.append(
                {"cluster": cluster, "namespace": namespace, "kind": kind, "name": name, **values}
            )
    if fresh:
        await session.execute(insert(WorkloadRow), fresh)


async def record_part(
    session: AsyncSession,
    cluster: str,
    *,
    snapshot_id: str,
    part: int,
    parts: int,
    taken_at: datetime,
) -> int:
    """Note a received part (idempotent); returns how many parts of the snapshot are in."""
    stmt = upsert_statement(session, SnapshotPart).on_conflict_do_nothing()
    await session.execute(
        stmt,
        [
            {
                "cluster": cluster,
                "snapshot_id": snapshot_id,
                "part": part,
                "parts": parts,
                "taken_at": taken_at,
            }
        ],
    )
    count = await session.execute(
        select(func.count())
        .select_from(SnapshotPart)
        .where(SnapshotPart.cluster == cluster, SnapshotPart.snapshot_id == snapshot_id)
    )
    return int(count.scalar_one())


async def mark_vanished(
    session: AsyncSession,
    cluster: str,
    *,
    snapshot_id: str,
    taken_at: datetime,
    now: datetime,
) -> list[WorkloadKey]:
    """Workloads that a complete snapshot taken at ``taken_at`` no longer contains (neither
    the workload nor a pod of it), not seen since, become vanished; returns them."""
    absent = and_(
        WorkloadRow.cluster == cluster,
        WorkloadRow.vanished_at.is_(None),
        WorkloadRow.last_seen < taken_at,
        WorkloadRow.spec_snapshot != snapshot_id,
        WorkloadRow.pods_snapshot != snapshot_id,
    )
    found = await session.execute(select(*_KEY).where(absent).order_by(*_KEY))
    keys: list[WorkloadKey] = [(r[0], r[1], r[2]) for r in found.all()]
    if keys:
        reason = f"not in inventory snapshot {snapshot_id} (taken {taken_at.isoformat()})"
        await mark_removed(session, cluster, keys, now=now, reason=reason)
    return keys


async def mark_removed(
    session: AsyncSession,
    cluster: str,
    keys: Sequence[WorkloadKey],
    *,
    now: datetime,
    reason: str,
) -> None:
    if not keys:
        return
    await session.execute(
        update(WorkloadRow)
        .where(
            WorkloadRow.cluster == cluster,
            tuple_(*_KEY).in_(list(keys)),
            or_(WorkloadRow.vanished_at.is_(None), WorkloadRow.vanished_reason != reason),
        )
        .values(vanished_at=now, vanished_reason=reason)
    )


async def prune_parts(session: AsyncSession, *, before: datetime) -> int:
    result = cast(
        "CursorResult[Any]",
        await session.execute(delete(SnapshotPart).where(SnapshotPart.taken_at < before)),
    )
    return result.rowcount
