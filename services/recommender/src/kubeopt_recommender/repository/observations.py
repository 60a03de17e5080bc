"""Observations and the processed-events inbox.

Repositories never commit: the handler or route that owns the unit of work does.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, SQLColumnExpression, case, delete, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import upsert_statement
from kubeopt_recommender.domain.observations import ContainerBatch, ContainerHistory, ContainerKey
from kubeopt_recommender.models import ContainerObservation, ProcessedEvent

_KEY_COLUMNS = (
    ContainerObservation.cluster,
    ContainerObservation.namespace,
    ContainerObservation.workload_kind,
    ContainerObservation.workload,
    ContainerObservation.container,
)


async def processed_event_ids(
    session: AsyncSession, event_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """The ids among ``event_ids`` already recorded in the inbox."""
    if not event_ids:
        return set()
    result = await session.execute(
        select(ProcessedEvent.event_id).where(ProcessedEvent.event_id.in_(list(event_ids)))
    )
    return set(result.scalars().all())


async def mark_processed(
    session: AsyncSession, event_ids: Sequence[uuid.UUID], *, now: datetime
) -> None:
    """Record ``event_ids`` in the inbox.

    A plain INSERT on purpose: if another replica is processing the same event, the unique key
    makes one of the two transactions fail and roll back, so the event is counted once.
    """
    if event_ids:
        await session.execute(
            insert(ProcessedEvent), [{"event_id": i, "processed_at": now} for i in event_ids]
        )


async def prune_processed(session: AsyncSession, *, before: datetime) -> int:
    """Forget inbox entries older than ``before``; returns how many were deleted."""
    stmt = delete(ProcessedEvent).where(ProcessedEvent.processed_at < before)
    result = cast("CursorResult[Any]", await session.execute(stmt))
    return result.rowcount


def _greater(new: SQLColumnExpression[Any], old: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    return case((new > old, new), else_=old)


def _lesser(new: SQLColumnExpression[Any], old: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    return case((new < old, new), else_=old)


_LATEST_COLUMNS = (
    "cpu_request_millicores",
    "memory_request_bytes",
    "cpu_limit_millicores",
    "memory_limit_bytes",
    "node",
)


def _from_newest_window(
    stmt: postgresql.Insert | sqlite.Insert,
) -> dict[str, ColumnElement[Any]]:
    """Requests and limits: the incoming values unless the stored ones are from a newer window."""
    table = ContainerObservation.__table__.c
    incoming_is_newer = stmt.excluded.last_window_start >= ContainerObservation.last_window_start
    return {
        column: case((incoming_is_newer, stmt.excluded[column]), else_=table[column])
        for column in _LATEST_COLUMNS
    }


async def upsert_observations(
    session: AsyncSession, batches: Sequence[ContainerBatch], *, now: datetime
) -> None:
    """Merge each container's batch into its stored observation, one row per container.

    Counts add up, peaks and bounds take the extreme, requests follow the newest window.
    ``windows_observed`` grows only by windows newer than the newest already counted, so a
    window split over several messages is counted once; a late, older window is not counted
    (the count can lag, never exceed, the truth). ``batches`` holds each key at most once.
    """
    if not batches:
        return
    stmt = upsert_statement(session, ContainerObservation)
    new, old = stmt.excluded, ContainerObservation
    added_windows = case(
        (new.first_seen > old.last_window_start, new.windows_observed),
        (new.last_window_start > old.last_window_start, 1),
        else_=0,
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=list(_KEY_COLUMNS),
        set_={
            "first_seen": _lesser(new.first_seen, old.first_seen),
            "last_seen": _greater(new.last_seen, old.last_seen),
            "last_window_start": _greater(new.last_window_start, old.last_window_start),
            "windows_observed": old.windows_observed + added_windows,
            "samples": old.samples + new.samples,
            "cpu_peak_millicores": _greater(new.cpu_peak_millicores, old.cpu_peak_millicores),
            "memory_peak_bytes": _greater(new.memory_peak_bytes, old.memory_peak_bytes),
            "oom_kills": old.oom_kills + new.oom_kills,
            "restarts": old.restarts + new.restarts,
            "throttled_ms": old.throttled_ms + new.throttled_ms,
            "observed_seconds": old.observed_seconds + new.observed_seconds,
            **_from_newest_window(stmt),
            "updated_at": new.updated_at,
        },
    )
    await session.execute(upsert, [_row(batch, now) for batch in batches])


def _row(batch: ContainerBatch, now: datetime) -> dict[str, object]:
    cluster, namespace, workload_kind, workload, container = batch.key
    return {
        "cluster": cluster,
        "namespace": namespace,
        "workload_kind": workload_kind,
        "workload": workload,
        "container": container,
        "first_seen": batch.first_window_start,
        "last_seen": batch.last_seen,
        "last_window_start": batch.last_window_start,
        "windows_observed": batch.windows_observed,
        "samples": batch.samples,
        "cpu_peak_millicores": batch.cpu_peak_millicores,
        "memory_peak_bytes": batch.memory_peak_bytes,
        "oom_kills": batch.oom_kills,
        "restarts": batch.restarts,
        "throttled_ms": batch.throttled_ms,
        "observed_seconds": batch.observed_seconds,
        "node": batch.node,
        "cpu_request_millicores": batch.cpu_request_millicores,
        "memory_request_bytes": batch.memory_request_bytes,
        "cpu_limit_millicores": batch.cpu_limit_millicores,
        "memory_limit_bytes": batch.memory_limit_bytes,
        "updated_at": now,
    }


async def list_observations(
    session: AsyncSession,
    *,
    limit: int | None,
    offset: int = 0,
    cluster: str | None = None,
    namespace: str | None = None,
) -> list[ContainerHistory]:
    """Stored observations in key order, optionally of one cluster and/or namespace
    (``limit=None``: all of them)."""
    stmt = select(ContainerObservation).order_by(*_KEY_COLUMNS).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    if cluster is not None:
        stmt = stmt.where(ContainerObservation.cluster == cluster)
    if namespace is not None:
        stmt = stmt.where(ContainerObservation.namespace == namespace)
    result = await session.execute(stmt)
    return [_history(row) for row in result.scalars().all()]


async def get_observations(
    session: AsyncSession, keys: Collection[ContainerKey]
) -> dict[ContainerKey, ContainerHistory]:
    """The observations of ``keys`` that exist."""
    if not keys:
        return {}
    stmt = select(ContainerObservation).where(tuple_(*_KEY_COLUMNS).in_(list(keys)))
    result = await session.execute(stmt)
    return {h.key: h for h in (_history(row) for row in result.scalars().all())}


def _history(row: ContainerObservation) -> ContainerHistory:
    return ContainerHistory(
        key=(row.cluster, row.namespace, row.workload_kind, row.workload, row.container),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        windows_observed=row.windows_observed,
        samples=row.samples,
        cpu_peak_millicores=row.cpu_peak_millicores,
        memory_peak_bytes=row.memory_peak_bytes,
        oom_kills=row.oom_kills,
        restarts=row.restarts,
        throttled_ms=row.throttled_ms,
        observed_seconds=row.observed_seconds,
        node=row.node,
        cpu_request_millicores=row.cpu_request_millicores,
        memory_request_bytes=row.memory_request_bytes,
        cpu_limit_millicores=row.cpu_limit_millicores,
        memory_limit_bytes=row.memory_limit_bytes,
    )
