"""Request and response models of the budgets API (they are its OpenAPI documentation)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kubeopt_budgets.domain.budget import Basis, BudgetSpec, Threshold, usd_to_nano_usd
from kubeopt_budgets.domain.periods import PeriodKind, PeriodSpec, time_zone
from kubeopt_budgets.domain.scope import Scope
from kubeopt_budgets.domain.spend import nano_usd_to_usd
from kubeopt_budgets.errors import InvalidBudgetError

NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$"


class ScopeIn(BaseModel):
    """What the budget covers. At least one of the three is required (``*`` = everything)."""

    model_config = ConfigDict(extra="forbid")

    clusters: list[str] = Field(
        default_factory=list,
        description="Cluster name patterns (shell-style, e.g. `prod-*`); empty = any cluster",
        examples=[["prod-eu"]],
    )
    namespaces: list[str] = Field(
        default_factory=list,
        description="Namespace name patterns (shell-style, e.g. `team-a-*`); empty = any",
        examples=[["shop", "checkout-*"]],
    )
    namespace_selector: str = Field(
        default="",
        description=(
            "Kubernetes label selector on the NAMESPACE's labels (`team=shop`, `env!=dev`, "
            "`tier in (web,api)`, `gpu`, `!legacy`). Labels come from the collector's "
            "inventory snapshots; `spend.updated` itself carries no labels, so a namespace "
            "whose labels were never seen matches no selector."
        ),
        examples=["team=shop,env in (prod,staging)"],
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.clusters or self.namespaces or self.namespace_selector.strip()):
            msg = "name at least one cluster, namespace or namespace label selector ('*' for all)"
            raise ValueError(msg)
        return self

    def to_scope(self) -> Scope:
        return Scope(tuple(self.clusters), tuple(self.namespaces), self.namespace_selector)


class PeriodIn(BaseModel):
    """How the budget repeats, in its time zone: local days, weeks or months."""

    model_config = ConfigDict(extra="forbid")

    kind: PeriodKind = Field(description="daily, weekly, monthly or custom")
    week_start: int = Field(default=0, ge=0, le=6, description="weekly: 0 = Monday … 6 = Sunday")
    month_day: int = Field(default=1, ge=1, le=28, description="monthly: day the period starts")
    start: date | None = Field(default=None, description="custom: local date of a period start")
    length_days: int | None = Field(
        default=None, ge=1, le=3660, description="custom: length of each period in local days"
    )

    @model_validator(mode="after")
    def _custom_needs_start_and_length(self) -> Self:
        if self.kind is PeriodKind.CUSTOM and (self.start is None or self.length_days is None):
            msg = "a custom period needs start (a date) and length_days"
            raise ValueError(msg)
        return self

    def to_spec(self) -> PeriodSpec:
        return PeriodSpec(
            kind=self.kind,
            week_start=self.week_start,
            month_day=self.month_day,
            custom_start=self.start,
            custom_length_days=self.length_days or 0,
        )


class ThresholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pct: int = Field(ge=1, le=1000, description="Percent of the amount", examples=[80])
    basis: Basis = Field(
        default=Basis.ACTUAL,
        description="`actual`: spend to date; `forecast`: forecast spend at the period's end",
    )


DEFAULT_THRESHOLDS = [
    ThresholdIn(pct=50),
    ThresholdIn(pct=80),
    ThresholdIn(pct=100),
    ThresholdIn(pct=100, basis=Basis.FORECAST),
]


class BudgetIn(BaseModel):
    """A budget to create or to replace an existing one with."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Unique name", examples=["shop-monthly"])
    scope: ScopeIn
    period: PeriodIn
    time_zone: str = Field(
        default="UTC",
        description="IANA time zone the periods follow (DST included)",
        examples=["Europe/Berlin"],
    )
    amount: Decimal = Field(gt=0, description="Budget per period, in `currency`", examples=["1000"])
    currency: Literal["USD"] = Field(default="USD", description="Spend is priced in USD")
    thresholds: list[ThresholdIn] = Field(
        default_factory=lambda: list(DEFAULT_THRESHOLDS),
        min_length=1,
        max_length=2000,
        description="Each crossing emits `budget.threshold_crossed` once per period",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Copied onto every crossing event, for the notifier's routing",
        examples=[{"team": "shop", "severity": "page"}],
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            time_zone(value)
        except InvalidBudgetError as err:
            raise ValueError(str(err)) from None
        return value

    def to_spec(self, *, budget_id: str, created_at: datetime) -> BudgetSpec:
        """Raises :class:`InvalidBudgetError` naming the field for what pydantic cannot see."""
        return BudgetSpec(
            id=budget_id,
            name=self.name,
            scope=self.scope.to_scope(),
            period=self.period.to_spec(),
            time_zone=self.time_zone,
            amount_nano_usd=usd_to_nano_usd(self.amount),
            currency=self.currency,
            thresholds=tuple(Threshold(t.pct, t.basis) for t in self.thresholds),
            labels=self.labels,
            created_at=created_at,
        )


class BudgetOut(BudgetIn):
    """A stored budget."""

    id: str = Field(description="Budget id (a UUID)")
    amount_nano_usd: int = Field(description="The amount in nano-USD (1 USD = 10^9)")
    created_at: datetime = Field(description="Periods ending before this never alert")

    @classmethod
    def from_spec(cls, spec: BudgetSpec) -> BudgetOut:
        period = spec.period
        return cls(
            id=spec.id,
            name=spec.name,
            scope=ScopeIn(
                clusters=list(spec.scope.clusters),
                namespaces=list(spec.scope.namespaces),
                namespace_selector=spec.scope.namespace_selector,
            ),
            period=PeriodIn(
                kind=period.kind,
                week_start=period.week_start,
                month_day=period.month_day,
                start=period.custom_start,
                length_days=period.custom_length_days or None,
            ),
            time_zone=spec.time_zone,
            amount=Decimal(nano_usd_to_usd(spec.amount_nano_usd).rstrip("0").rstrip(".")),
            amount_nano_usd=spec.amount_nano_usd,
            currency="USD",
            thresholds=[ThresholdIn(pct=t.pct, basis=t.basis) for t in sorted(spec.thresholds)],
            labels=dict(spec.labels),
            created_at=spec.created_at,
        )


class BudgetsOut(BaseModel):
    budgets: list[BudgetOut] = Field(description="Every budget, by name")
