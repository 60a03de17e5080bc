"""Evaluation of budgets on new spend, and the crossings outbox. Never commits.

On every batch of ``spend.updated`` the handler, in ONE transaction: upserts the ledger, locks
the budgets the new spend falls into, measures each affected (budget, period) — spend to date
and forecast — and inserts a crossing row per threshold reached, insert-or-nothing on
(budget, period, threshold, basis). Only rows this transaction inserted become events, which
the handler publishes after the commit under the deterministic id of their key.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets import repository
from kubeopt_budgets.domain.budget import BudgetSpec, Threshold, crossed, crossing_event_id
from kubeopt_budgets.domain.forecast import Forecast, forecast_period_end, history_start
from kubeopt_budgets.domain.spend import SUPPORTED_CURRENCY, Period, SpendTotal
from kubeopt_budgets.models import Crossing
from kubeopt_budgets.service.budgets import list_budgets
from kubeopt_common.events import BudgetThresholdCrossed

PRODUCER = "budgets"
Windows = list[tuple[datetime, int]]


@dataclass(frozen=True, slots=True)
class Measure:
    """A budget's period seen at ``as_of``: spend to date and forecast, nano-USD."""

    period: Period
    as_of: datetime
    spend_to_date_nano_usd: int
    forecast: Forecast


def as_of_in(period: Period, now: datetime) -> datetime:
    """``now`` clamped into the period: a past period is seen at its end."""
    return min(max(now, period.start), period.end)


async def scope_windows(
    session: AsyncSession, budget: BudgetSpec, *, start: datetime, end: datetime
) -> Windows:
    """(window start, cost) of every ledger window of the budget's scope in ``[start, end)``."""
    rows = await repository.spend_windows(
        session, start=start, end=end, clusters=budget.scope.literal_clusters()
    )
    labels: Mapping[tuple[str, str], Mapping[str, str]] = {}
    if budget.scope.needs_labels:
        labels = await repository.labels_of(session, {(c, n) for c, n, _, _ in rows})
    return [
        (window_start, cost)
        for cluster, namespace, window_start, cost in rows
        if budget.scope.matches(cluster, namespace, labels.get((cluster, namespace)))
    ]


def measure_windows(budget: BudgetSpec, windows: Windows, period: Period, now: datetime) -> Measure:
    as_of = as_of_in(period, now)
    spend = sum(cost for start, cost in windows if period.start <= start < period.end)
    forecast = forecast_period_end(
        windows, period=period, tz=budget.tz, as_of=as_of, spend_to_date_nano_usd=spend
    )
    return Measure(period, as_of, spend, forecast)


async def measure(
    session: AsyncSession, budget: BudgetSpec, period: Period, *, now: datetime
) -> Measure:
    """Spend to date and forecast of ``period``, seen at ``now`` (clamped into it)."""
    start = min(period.start, history_start(as_of_in(period, now), budget.tz))
    windows = await scope_windows(session, budget, start=start, end=period.end)
    return measure_windows(budget, windows, period, now)


def _crossing_row(
    budget: BudgetSpec, m: Measure, threshold: Threshold, *, cluster: str, now: datetime
) -> dict[str, object]:
    return {
        "event_id": crossing_event_id(budget.id, m.period.start, threshold),
        "budget_id": budget.id,
        "period_start": m.period.start,
        "threshold_pct": threshold.pct,
        "basis": threshold.basis.value,
        "period_end": m.period.end,
        "budget_name": budget.name,
        "scope": budget.scope.describe(),
        "cluster": cluster,
        "amount_nano_usd": budget.amount_nano_usd,
        "spend_to_date_nano_usd": m.spend_to_date_nano_usd,
        "forecast_nano_usd": m.forecast.forecast_nano_usd,
        "currency": SUPPORTED_CURRENCY,
        "labels": dict(budget.labels),
        "crossed_at": now,
        "published_at": None,
    }


def event_of(row: Crossing) -> BudgetThresholdCrossed:
    """The event of a stored crossing: the same row always gives the same event."""
    return BudgetThresholdCrossed.create(
        event_id=row.event_id,
        occurred_at=row.crossed_at,
        cluster=row.cluster,
        producer=PRODUCER,
        budget_id=row.budget_id,
        budget_name=row.budget_name,
        scope=row.scope,
        period_start=row.period_start,
        period_end=row.period_end,
        threshold_pct=row.threshold_pct,
        basis=row.basis,
        amount_nano_usd=row.amount_nano_usd,
        spend_to_date_nano_usd=row.spend_to_date_nano_usd,
        forecast_nano_usd=row.forecast_nano_usd,
        currency=row.currency,
        labels=row.labels,
    )


async def _affected(
    session: AsyncSession, totals: Sequence[SpendTotal]
) -> tuple[dict[str, BudgetSpec], dict[tuple[str, Period], str]]:
    """The budgets, and (budget id, period) → cluster of the first new total in it."""
    budgets = await list_budgets(session)
    if not budgets:
        return {}, {}
    labels: Mapping[tuple[str, str], Mapping[str, str]] = {}
    if any(b.scope.needs_labels for b in budgets):
        labels = await repository.labels_of(session, {(t.cluster, t.namespace) for t in totals})
    affected: dict[tuple[str, Period], str] = {}
    for total in totals:
        known = labels.get((total.cluster, total.namespace))
        for budget in budgets:
            if budget.scope.matches(total.cluster, total.namespace, known):
                period = budget.period_at(total.window_start)
                if budget.alerts_for(period):
                    affected.setdefault((budget.id, period), total.cluster)
    return {b.id: b for b in budgets}, affected


async def evaluate_spend(
    session: AsyncSession, totals: Sequence[SpendTotal], *, now: datetime
) -> list[BudgetThresholdCrossed]:
    """Crossings that ``totals`` (already upserted in this transaction) caused, each created
    here exactly once; the caller publishes them after committing."""
    if not totals:
        return []
    budgets, affected = await _affected(session, totals)
    if not affected:
        return []
    # The lock orders evaluations of a budget; the definitions read just before stay valid
    # unless edited in between (an edit only changes what later evaluations see).
    locked = await repository.lock_budgets(session, [i for i, _ in affected])
    rows = []
    for (budget_id, period), cluster in sorted(affected.items(), key=lambda kv: kv[0][1].start):
        if budget_id not in locked:  # deleted meanwhile
            continue
        budget = budgets[budget_id]
        m = await measure(session, budget, period, now=now)
        hits = crossed(
            budget.thresholds,
            amount_nano_usd=budget.amount_nano_usd,
            spend_to_date_nano_usd=m.spend_to_date_nano_usd,
            forecast=m.forecast,
        )
        # Skipping known crossings is only a shortcut: the insert below is what guarantees
        # exactly once (its unique key), even for a crossing another replica adds meanwhile.
        known = await repository.crossed_keys(session, budget.id, period.start) if hits else set()
        rows += [
            _crossing_row(budget, m, t, cluster=cluster, now=now)
            for t in hits
            if (t.pct, t.basis.value) not in known
        ]
    inserted = await repository.insert_new_crossings(session, rows)
    return [event_of(row) for row in await repository.crossings_by_id(session, inserted)]


async def unpublished(
    session: AsyncSession, *, crossed_before: datetime, limit: int = 500
) -> list[BudgetThresholdCrossed]:
    """Events of committed crossings never acknowledged by JetStream (locked for this tx)."""
    rows = await repository.unpublished_crossings(
        session, crossed_before=crossed_before, limit=limit
    )
    return [event_of(row) for row in rows]


async def mark_published(
    session: AsyncSession, event_ids: Sequence[uuid.UUID], *, now: datetime
) -> None:
    await repository.mark_published(session, event_ids, now=now)
