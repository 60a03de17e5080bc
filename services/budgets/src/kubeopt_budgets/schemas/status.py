"""Response model of a budget's status (its OpenAPI documentation)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from kubeopt_budgets.domain.forecast import ForecastMethod
from kubeopt_budgets.domain.spend import nano_usd_to_usd
from kubeopt_budgets.models import Crossing
from kubeopt_budgets.schemas.budgets import BudgetOut
from kubeopt_budgets.service import BudgetStatus, PastPeriod


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


class CrossingOut(BaseModel):
    """A threshold crossing; ``event_id`` is the id of its ``budget.threshold_crossed``."""

    event_id: uuid.UUID
    threshold_pct: int
    basis: str = Field(description="actual or forecast")
    crossed_at: datetime
    spend_to_date_nano_usd: int = Field(description="Spend to date when it crossed, nano-USD")
    forecast_nano_usd: int = Field(description="Forecast when it crossed, nano-USD")
    published: bool = Field(description="JetStream acknowledged the event")

    @classmethod
    def from_row(cls, row: Crossing) -> CrossingOut:
        return cls(
            event_id=row.event_id,
            threshold_pct=row.threshold_pct,
            basis=row.basis,
            crossed_at=row.crossed_at,
            spend_to_date_nano_usd=row.spend_to_date_nano_usd,
            forecast_nano_usd=row.forecast_nano_usd,
            published=row.published_at is not None,
        )


class PastPeriodOut(BaseModel):
    start: datetime
    end: datetime
    spend_nano_usd: int
    spend_usd: str
    pct_of_amount: float = Field(description="Spend as a percentage of the amount")
    crossings: list[CrossingOut]

    @classmethod
    def from_past(cls, past: PastPeriod, amount_nano_usd: int) -> PastPeriodOut:
        return cls(
            start=past.period.start,
            end=past.period.end,
            spend_nano_usd=past.spend_nano_usd,
            spend_usd=nano_usd_to_usd(past.spend_nano_usd),
            pct_of_amount=_pct(past.spend_nano_usd, amount_nano_usd),
            crossings=[CrossingOut.from_row(c) for c in past.crossings],
        )


class BudgetStatusOut(BaseModel):
    """The current period of a budget, seen now. Money in nano-USD and exact USD strings."""

    budget: BudgetOut
    period_start: datetime = Field(description="Start of the current period (UTC)")
    period_end: datetime = Field(description="End of the current period, exclusive (UTC)")
    as_of: datetime
    spend_to_date_nano_usd: int
    spend_to_date_usd: str
    pct_of_amount: float = Field(description="Spend to date as a percentage of the amount")
    forecast_nano_usd: int = Field(description="Forecast spend at the end of the period")
    forecast_usd: str
    forecast_method: ForecastMethod = Field(
        description="trend+weekday, trend, run-rate, too-early (see the service docs)"
    )
    remaining_nano_usd: int = Field(description="Amount minus spend to date; negative = over")
    burn_rate_nano_usd_per_day: int = Field(description="Average spend per day so far")
    allowed_rate_nano_usd_per_day: int | None = Field(
        description="Spend per day that would exhaust the budget exactly at the period's end"
    )
    crossings: list[CrossingOut] = Field(description="Thresholds crossed in this period")
    history: list[PastPeriodOut] = Field(description="Past periods, most recent first")

    @classmethod
    def from_status(cls, status: BudgetStatus) -> BudgetStatusOut:
        current = status.current
        amount = status.budget.amount_nano_usd
        return cls(
            budget=BudgetOut.from_spec(status.budget),
            period_start=current.period.start,
            period_end=current.period.end,
            as_of=current.as_of,
            spend_to_date_nano_usd=current.spend_to_date_nano_usd,
            spend_to_date_usd=nano_usd_to_usd(current.spend_to_date_nano_usd),
            pct_of_amount=_pct(current.spend_to_date_nano_usd, amount),
            forecast_nano_usd=current.forecast.forecast_nano_usd,
            forecast_usd=nano_usd_to_usd(current.forecast.forecast_nano_usd),
            forecast_method=current.forecast.method,
            remaining_nano_usd=status.remaining_nano_usd,
            burn_rate_nano_usd_per_day=status.burn_rate_nano_usd_per_day,
            allowed_rate_nano_usd_per_day=status.allowed_rate_nano_usd_per_day,
            crossings=[CrossingOut.from_row(c) for c in status.crossings],
            history=[PastPeriodOut.from_past(p, amount) for p in status.history],
        )
