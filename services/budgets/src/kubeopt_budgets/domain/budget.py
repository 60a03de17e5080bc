"""A budget, its thresholds, and which thresholds a period's spend or forecast has crossed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from kubeopt_budgets.domain.forecast import Forecast, ForecastMethod
from kubeopt_budgets.domain.periods import PeriodSpec, period_containing, time_zone
from kubeopt_budgets.domain.scope import Scope
from kubeopt_budgets.domain.spend import NANO_PER_USD, SUPPORTED_CURRENCY, Period
from kubeopt_budgets.errors import InvalidBudgetError
from kubeopt_common.events import event_id_for

MAX_THRESHOLD_PCT = 1000
# Forecast thresholds wait for a forecast built from at least one complete day of history:
# a run rate over the first minutes of a month would page people for nothing.
FORECASTS_THAT_ALERT = frozenset({ForecastMethod.TREND, ForecastMethod.TREND_WEEKDAY})


class Basis(StrEnum):
    ACTUAL = "actual"
    FORECAST = "forecast"


@dataclass(frozen=True, slots=True, order=True)
class Threshold:
    """``pct`` percent of the budget amount, on actual spend to date or on the forecast."""

    pct: int
    basis: Basis

    def __post_init__(self) -> None:
        if not 1 <= self.pct <= MAX_THRESHOLD_PCT:
            msg = f"threshold pct must be 1 to {MAX_THRESHOLD_PCT}, not {self.pct}"
            raise InvalidBudgetError(msg, field="thresholds")


def usd_to_nano_usd(amount: Decimal) -> int:
    """A positive USD amount as integer nano-USD (exact; at most 9 decimals)."""
    if not amount.is_finite() or amount <= 0:
        msg = f"must be a positive amount, not {amount}"
        raise InvalidBudgetError(msg, field="amount")
    nano = amount * NANO_PER_USD
    if nano != nano.to_integral_value():
        msg = f"{amount} has more than 9 decimals"
        raise InvalidBudgetError(msg, field="amount")
    return int(nano)


@dataclass(frozen=True, slots=True)
class BudgetSpec:
    """A validated budget. Money in nano-USD; ``created_at`` aware UTC."""

    id: str
    name: str
    scope: Scope
    period: PeriodSpec
    time_zone: str
    amount_nano_usd: int
    thresholds: tuple[Threshold, ...]
    created_at: datetime
    currency: str = SUPPORTED_CURRENCY
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        time_zone(self.time_zone)
        if self.amount_nano_usd <= 0:
            msg = "must be a positive amount"
            raise InvalidBudgetError(msg, field="amount")
        if self.currency != SUPPORTED_CURRENCY:
            msg = f"only {SUPPORTED_CURRENCY} is supported (spend is priced in USD)"
            raise InvalidBudgetError(msg, field="currency")
        if len(set(self.thresholds)) != len(self.thresholds):
            msg = "each (pct, basis) threshold may appear once"
            raise InvalidBudgetError(msg, field="thresholds")

    @property
    def tz(self) -> ZoneInfo:
        return time_zone(self.time_zone)

    def period_at(self, instant: datetime) -> Period:
        return period_containing(self.period, self.tz, instant)

    def alerts_for(self, period: Period) -> bool:
        """A budget alerts only for periods that end after it was created: creating one must
        not page people about history replayed into it."""
        return period.end > self.created_at


def crossed(
    thresholds: Iterable[Threshold],
    *,
    amount_nano_usd: int,
    spend_to_date_nano_usd: int,
    forecast: Forecast,
) -> list[Threshold]:
    """The thresholds at or above which spend (or a usable forecast) stands, sorted."""
    hits = []
    for threshold in thresholds:
        if threshold.basis is Basis.ACTUAL:
            value = spend_to_date_nano_usd
        elif forecast.method in FORECASTS_THAT_ALERT:
            value = forecast.forecast_nano_usd
        else:
            continue
        # Integer comparison: value / amount >= pct / 100, exactly.
        if value * 100 >= threshold.pct * amount_nano_usd:
            hits.append(threshold)
    return sorted(hits)


def crossing_event_id(budget_id: str, period_start: datetime, threshold: Threshold) -> uuid.UUID:
    """The one event id of a crossing: a republished crossing is deduplicated by JetStream."""
    return event_id_for(
        "budget.threshold_crossed", budget_id, period_start, threshold.pct, threshold.basis.value
    )


def burn_rate_nano_usd_per_day(spend_nano_usd: int, elapsed: timedelta) -> int:
    """Average spend per day over ``elapsed`` (0 when nothing has elapsed)."""
    if elapsed <= timedelta(0):
        return 0
    return round(spend_nano_usd * (timedelta(days=1) / elapsed))
