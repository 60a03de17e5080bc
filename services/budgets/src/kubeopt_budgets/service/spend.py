"""Use cases of the spend ledger. Never commit: the caller owns the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets import repository
from kubeopt_budgets.domain import (
    NamespaceSpendSummary,
    Period,
    SpendTotal,
    reduce_totals,
    spend_total_from_event,
)
from kubeopt_common.events import SpendUpdated


async def record_spend(
    session: AsyncSession, events: Sequence[SpendUpdated], *, now: datetime
) -> list[SpendTotal]:
    """Keep the greatest total per window from ``events``; returns the totals written (one per
    window, the greatest of the batch).

    Raises :class:`kubeopt_budgets.errors.InvalidSpendError` if any event is unusable.
    """
    totals = reduce_totals(spend_total_from_event(event) for event in events)
    await repository.upsert_spend_totals(session, totals, now=now)
    return totals


async def spend_summary(
    session: AsyncSession,
    period: Period,
    *,
    cluster: str | None = None,
    namespace: str | None = None,
) -> list[NamespaceSpendSummary]:
    """Spend per (cluster, namespace) over the windows starting in ``period``."""
    return await repository.spend_by_namespace(
        session, period, cluster=cluster, namespace=namespace
    )
