"""``budget.threshold_crossed``: emitted once per (budget, period, threshold, kind), ever."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from kubeopt_common.events.envelope import Event, Labels, Name, NonNegativeInt, UtcDatetime
from kubeopt_common.events.subjects import Subject


class BudgetThresholdCrossed(Event):
    SUBJECT: ClassVar[Subject] = Subject.BUDGET_THRESHOLD_CROSSED

    budget_id: Name
    budget_name: Name
    scope: str
    period_start: UtcDatetime
    period_end: UtcDatetime
    threshold_pct: int = Field(ge=1, le=1000)
    basis: Literal["actual", "forecast"]
    amount_nano_usd: NonNegativeInt
    spend_to_date_nano_usd: NonNegativeInt
    forecast_nano_usd: NonNegativeInt
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    labels: Labels = Field(default_factory=dict)
