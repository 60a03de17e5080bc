"""Recommendations and their transitions (PostgreSQL in distributed mode, SQLite all-in-one)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import RecommendationState
from kubeopt_recommender.domain.lifecycle import LIVE
from kubeopt_recommender.models import RecommendationRow, TransitionRow

R = RecommendationRow
TargetKey = tuple[str, str, str, str, str, str]
"""(namespace, workload_kind, workload, container, kind, cluster)."""
SortKey = Literal["savings", "confidence", "created", "updated"]
_LIVE = sorted(s.value for s in LIVE)


def target_key(row: RecommendationRow) -> tuple[str, str, str, str, str]:
    """(namespace, workload kind, workload, container, kind) within the row's cluster."""
    return (row.namespace, row.workload_kind, row.workload, row.container, row.kind)


async def get(session: AsyncSession, recommendation_id: str, *, lock: bool = False) -> R | None:
    stmt = select(R).where(R.id == recommendation_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def rejected_since(
    session: AsyncSession, cluster: str, *, since: datetime
) -> set[tuple[str, str, str, str, str]]:
    """Targets+kinds rejected at or after ``since`` (a re-run respects the rejection)."""
    stmt = select(R).where(
        R.cluster == cluster, R.state == RecommendationState.REJECTED.value, R.updated_at >= since
    )
    return {target_key(r) for r in (await session.execute(stmt)).scalars().all()}


async def live_for_workloads(
    session: AsyncSession, cluster: str, workloads: Collection[tuple[str, str, str]]
) -> list[R]:
    """Live recommendations of the given (namespace, kind, name) workloads."""
    if not workloads:
        return []
    await session.flush()  # sessions do not autoflush: see this session's changes
    stmt = (
        select(R)
        .where(
            R.cluster == cluster,
            R.state.in_(_LIVE),
            tuple_(R.namespace, R.workload_kind, R.workload).in_(sorted(workloads)),
        )
        .order_by(R.id)
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars().all())


async def in_states(
    session: AsyncSession,
    states: Collection[RecommendationState],
    *,
    verify_before: datetime | None = None,
    after_id: str = "",
    limit: int = 500,
) -> list[R]:
    """One page (by id, after ``after_id``) of recommendations in ``states``, locked;
    optionally only those due for verification."""
    await session.flush()  # sessions do not autoflush: see this session's changes
    stmt = (
        select(R)
        .where(R.state.in_(sorted(s.value for s in states)), R.id > after_id)
        .order_by(R.id)
        .limit(limit)
    )
    if verify_before is not None:
        stmt = stmt.where(R.verify_after <= verify_before)
    return list((await session.execute(stmt.with_for_update())).scalars().all())


@dataclass(frozen=True, slots=True)
class ListFilter:
    cluster: str | None = None
    namespace: str | None = None
    workload: str | None = None
    kinds: Sequence[str] = ()
    states: Sequence[str] = ()
    min_confidence: float | None = None


def _filtered(stmt: Select[R], f: ListFilter) -> Select[R]:
    if f.cluster is not None:
        stmt = stmt.where(R.cluster == f.cluster)
    if f.namespace is not None:
        stmt = stmt.where(R.namespace == f.namespace)
    if f.workload is not None:
        stmt = stmt.where(R.workload == f.workload)
    if f.kinds:
        stmt = stmt.where(R.kind.in_(list(f.kinds)))
    if f.states:
        stmt = stmt.where(R.state.in_(list(f.states)))
    if f.min_confidence is not None:
        stmt = stmt.where(R.confidence >= f.min_confidence)
    return stmt


_ORDER = {
    "savings": R.monthly_savings_nano_usd,
    "confidence": R.confidence,
    "created": R.created_at,
    "updated": R.updated_at,
}


async def list_page(
    session: AsyncSession,
    f: ListFilter,
    *,
    sort: SortKey,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[R], int]:
    """One page of matching recommendations (ties broken by id) and the total count."""
    column = _ORDER[sort]
    order = column.desc() if descending else column.asc()
    stmt = _filtered(select(R), f).order_by(order, R.id).limit(limit).offset(offset)
    rows = list((await session.execute(stmt)).scalars().all())
    count_stmt = _filtered(select(R), f).with_only_columns(func.count())
    total = int((await session.execute(count_stmt)).scalar_one())
    return rows, total


async def transitions(session: AsyncSession, recommendation_id: str) -> list[TransitionRow]:
    """Every transition so far, oldest first (pending ones of this session included)."""
    await session.flush()  # sessions do not autoflush; a transition may have just been added
    stmt = (
        select(TransitionRow)
        .where(TransitionRow.recommendation_id == recommendation_id)
        .order_by(TransitionRow.at, TransitionRow.id)
    )
    return list((await session.execute(stmt)).scalars().all())


def add_transition(
    session: AsyncSession,
    row: R,
    *,
    from_state: str | None,
    actor: str,
    at: datetime,
    comment: str,
) -> None:
    session.add(
        TransitionRow(
            recommendation_id=row.id,
            from_state=from_state,
            to_state=row.state,
            actor=actor,
            at=at,
            comment=comment,
        )
    )


@dataclass(frozen=True, slots=True)
class SavingsRow:
    kind: str
    state: str
    count: int
    estimated_nano_usd: int
    realized_nano_usd: int
    realized_count: int
    co2e_grams: float


async def savings(
    session: AsyncSession, *, cluster: str | None, namespace: str | None
) -> list[SavingsRow]:
    """Estimated and realized monthly savings grouped by kind and state."""
    stmt = select(
        R.kind,
        R.state,
        func.count(),
        func.coalesce(func.sum(R.monthly_savings_nano_usd), 0),
        func.coalesce(func.sum(R.realized_savings_nano_usd), 0),
        func.count(R.realized_savings_nano_usd),
        func.coalesce(func.sum(R.co2e_grams_per_month), 0.0),
    ).group_by(R.kind, R.state)
    if cluster is not None:
        stmt = stmt.where(R.cluster == cluster)
    if namespace is not None:
        stmt = stmt.where(R.namespace == namespace)
    result = await session.execute(stmt.order_by(R.kind, R.state))
    return [
        SavingsRow(
            kind, state, int(n or 0), int(est or 0), int(real or 0), int(nr or 0), float(co2 or 0.0)
        )
        for kind, state, n, est, real, nr, co2 in result.all()
    ]


async def with_outcomes(session: AsyncSession, *, kind: str) -> list[R]:
    """Recommendations of ``kind`` with a recorded outcome (verified or regressed)."""
    stmt = select(R).where(
        R.kind == kind,
        R.state.in_([RecommendationState.VERIFIED.value, RecommendationState.REGRESSED.value]),
    )
    return list((await session.execute(stmt.order_by(R.id))).scalars().all())


async def live_for_targets(
    session: AsyncSession, cluster: str, targets: Collection[tuple[str, str, str, str, str]]
) -> dict[tuple[str, str, str, str, str], R]:
    """Live recommendations of the given (namespace, kind, workload, container, rec kind)."""
    if not targets:
        return {}
    await session.flush()  # sessions do not autoflush: see this session's changes
    stmt = (
        select(R)
        .where(
            R.cluster == cluster,
            R.state.in_(_LIVE),
            tuple_(R.namespace, R.workload_kind, R.workload, R.container, R.kind).in_(
                sorted(targets)
            ),
        )
        .order_by(R.id)
        .with_for_update()
    )
    return {target_key(r): r for r in (await session.execute(stmt)).scalars().all()}
