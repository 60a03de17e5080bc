"""SQL of the spend ledger. Works on PostgreSQL (psycopg 3) and SQLite (aiosqlite).

Repositories never commit: the handler or route that owns the unit of work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets.domain import NamespaceSpendSummary, Period, SpendTotal
from kubeopt_budgets.models import NamespaceSpend
from kubeopt_common.db.database import upsert_statement

# Columns replaced together when a greater total arrives: a window's breakdown never mixes
# two events.
_WINNER_COLUMNS = (
    "window_end",
    "cost_nano_usd",
    "cpu_cost_nano_usd",
    "memory_cost_nano_usd",
    "gpu_cost_nano_usd",
    "last_event_id",
    "updated_at",
)


async def upsert_spend_totals(
    session: AsyncSession, totals: Sequence[SpendTotal], *, now: datetime
) -> None:
    """Insert each window's total, or replace the stored one when the new total ranks higher.

    ``totals`` must hold at most one total per window key (see
    :func:`kubeopt_budgets.domain.reduce_totals`): one statement cannot update a row twice.
    """
    if not totals:
        return
    stmt = upsert_statement(session, NamespaceSpend)
    incoming = tuple_(
        stmt.excluded.cost_nano_usd,
        stmt.excluded.cpu_cost_nano_usd,
        stmt.excluded.memory_cost_nano_usd,
        stmt.excluded.gpu_cost_nano_usd,
        stmt.excluded.last_event_id,
    )
    stored = tuple_(
        NamespaceSpend.cost_nano_usd,
        NamespaceSpend.cpu_cost_nano_usd,
        NamespaceSpend.memory_cost_nano_usd,
        NamespaceSpend.gpu_cost_nano_usd,
        NamespaceSpend.last_event_id,
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=[
            NamespaceSpend.cluster,
            NamespaceSpend.namespace,
            NamespaceSpend.window_start,
        ],
        set_={column: stmt.excluded[column] for column in _WINNER_COLUMNS},
        where=incoming > stored,
    )
    await session.execute(upsert, [_row(total, now) for total in totals])


def _row(total: SpendTotal, now: datetime) -> dict[str, object]:
    return {
        "cluster": total.cluster,
        "namespace": total.namespace,
        "window_start": total.window_start,
        "window_end": total.window_end,
        "cost_nano_usd": total.cost_nano_usd,
        "cpu_cost_nano_usd": total.cpu_cost_nano_usd,
        "memory_cost_nano_usd": total.memory_cost_nano_usd,
        "gpu_cost_nano_usd": total.gpu_cost_nano_usd,
        "last_event_id": total.event_id,
        "updated_at": now,
    }


async def get_spend_total(
    session: AsyncSession, *, cluster: str, namespace: str, window_start: datetime
) -> NamespaceSpend | None:
    """The stored total of one window, if any."""
    return await session.get(NamespaceSpend, (cluster, namespace, window_start))


async def spend_by_namespace(
    session: AsyncSession,
    period: Period,
    *,
    cluster: str | None = None,
    namespace: str | None = None,
) -> list[NamespaceSpendSummary]:
    """Per (cluster, namespace): the sum of the windows starting in ``[period.start, end)``."""
    stmt = (
        select(
            NamespaceSpend.cluster,
            NamespaceSpend.namespace,
            func.count(),
            func.sum(NamespaceSpend.cost_nano_usd),
            func.sum(NamespaceSpend.cpu_cost_nano_usd),
            func.sum(NamespaceSpend.memory_cost_nano_usd),
            func.sum(NamespaceSpend.gpu_cost_nano_usd),
        )
        .where(NamespaceSpend.window_start >= period.start)
        .where(NamespaceSpend.window_start < period.end)
        .group_by(NamespaceSpend.cluster, NamespaceSpend.namespace)
        .order_by(NamespaceSpend.cluster, NamespaceSpend.namespace)
    )
    if cluster is not None:
        stmt = stmt.where(NamespaceSpend.cluster == cluster)
    if namespace is not None:
        stmt = stmt.where(NamespaceSpend.namespace == namespace)
    result = await session.execute(stmt)
    # PostgreSQL sums BIGINT into NUMERIC (Decimal): int() keeps the amounts exact integers.
    return [
        NamespaceSpendSummary(
            cluster=row[0],
            namespace=row[1],
            windows=int(row[2]),
            cost_nano_usd=int(row[3]),
            cpu_cost_nano_usd=int(row[4]),
            memory_cost_nano_usd=int(row[5]),
            gpu_cost_nano_usd=int(row[6]),
        )
        for row in result.all()
    ]


async def spend_windows(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    clusters: Sequence[str] | None = None,
) -> list[tuple[str, str, datetime, int]]:
    """(cluster, namespace, window start, cost nano-USD) of the windows starting in
    ``[start, end)``, optionally of some clusters only."""
    stmt = (
        select(
            NamespaceSpend.cluster,
            NamespaceSpend.namespace,
            NamespaceSpend.window_start,
            NamespaceSpend.cost_nano_usd,
        )
        .where(NamespaceSpend.window_start >= start)
        .where(NamespaceSpend.window_start < end)
    )
    if clusters is not None:
        stmt = stmt.where(NamespaceSpend.cluster.in_(list(clusters)))
    result = await session.execute(stmt)
    return [(row[0], row[1], row[2], int(row[3])) for row in result.all()]
