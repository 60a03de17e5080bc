"""A budget's status: the current period's spend, forecast, burn rate, crossings and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets import repository
from kubeopt_budgets.domain.budget import BudgetSpec, burn_rate_nano_usd_per_day
from kubeopt_budgets.domain.forecast import history_start
from kubeopt_budgets.domain.periods import previous_periods
from kubeopt_budgets.domain.spend import Period
from kubeopt_budgets.models import Crossing
from kubeopt_budgets.service.budgets import get_budget
from kubeopt_budgets.service.evaluation import Measure, as_of_in, measure_windows, scope_windows


@dataclass(frozen=True, slots=True)
class PastPeriod:
    period: Period
    spend_nano_usd: int
    crossings: list[Crossing]


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """Money in nano-USD; rates per day. ``remaining`` is negative once overspent."""

    budget: BudgetSpec
    current: Measure
    remaining_nano_usd: int
    burn_rate_nano_usd_per_day: int
    allowed_rate_nano_usd_per_day: int | None
    crossings: list[Crossing]
    history: list[PastPeriod]


async def budget_status(
    session: AsyncSession, id_or_name: str, *, now: datetime, history_periods: int
) -> BudgetStatus:
    """The status of a budget at ``now``, with ``history_periods`` past periods."""
    budget = await get_budget(session, id_or_name)
    period = budget.period_at(now)
    past = previous_periods(budget.period, budget.tz, period, history_periods)
    earliest = min([period.start, history_start(as_of_in(period, now), budget.tz)])
    if past:
        earliest = min(earliest, past[-1].start)
    windows = await scope_windows(session, budget, start=earliest, end=period.end)
    current = measure_windows(budget, windows, period, now)
    crossings = await repository.crossings_of(
        session, budget.id, period_starts=[p.start for p in (period, *past)]
    )
    by_period: dict[datetime, list[Crossing]] = {}
    for crossing in crossings:
        by_period.setdefault(crossing.period_start, []).append(crossing)
    history = [
        PastPeriod(
            p,
            sum(cost for start, cost in windows if p.start <= start < p.end),
            by_period.get(p.start, []),
        )
        for p in past
    ]
    remaining = budget.amount_nano_usd - current.spend_to_date_nano_usd
    time_left = period.end - current.as_of
    return BudgetStatus(
        budget=budget,
        current=current,
        remaining_nano_usd=remaining,
        burn_rate_nano_usd_per_day=burn_rate_nano_usd_per_day(
            current.spend_to_date_nano_usd, current.as_of - period.start
        ),
        allowed_rate_nano_usd_per_day=(
            round(max(remaining, 0) * (timedelta(days=1) / time_left))
            if time_left > timedelta(0)
            else None
        ),
        crossings=by_period.get(period.start, []),
        history=history,
    )
