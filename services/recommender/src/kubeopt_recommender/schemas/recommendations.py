"""API models of recommendations, their history, savings, runs and confidence models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from kubeopt_common.events import RecommendationKind, RecommendationState
from kubeopt_recommender.domain.patches import kubectl_command, recommendation_patch
from kubeopt_recommender.domain.rightsizing import PolicyProfile
from kubeopt_recommender.models import ModelRow, RecommendationRow, RunRow, TransitionRow
from kubeopt_recommender.repository.recommendations import SavingsRow
from kubeopt_recommender.service.runs import RunState

NANO = Decimal(1_000_000_000)


def usd(nano_usd: int | None) -> Decimal | None:
    return None if nano_usd is None else Decimal(nano_usd) / NANO


class TransitionOut(BaseModel):
    from_state: RecommendationState | None = Field(description="null for the creation")
    to_state: RecommendationState
    actor: str
    at: datetime
    comment: str

    @classmethod
    def from_row(cls, row: TransitionRow) -> TransitionOut:
        return cls(
            from_state=RecommendationState(row.from_state) if row.from_state else None,
            to_state=RecommendationState(row.to_state),
            actor=row.actor,
            at=row.at,
            comment=row.comment,
        )


class PatchOut(BaseModel):
    """A strategic-merge patch for ``kubectl patch --type strategic``."""

    kind: str
    name: str
    namespace: str
    patch: dict[str, Any]
    command: str = Field(description="kubectl command, reading the patch from patch.yaml")


class RecommendationOut(BaseModel):
    id: str
    cluster: str
    namespace: str
    workload_kind: str
    workload: str
    container: str = Field(description="Empty for workload-level recommendations")
    kind: RecommendationKind
    state: RecommendationState
    policy: str
    revision: int
    summary: str
    current: dict[str, Any]
    recommended: dict[str, Any]
    details: dict[str, Any]
    reasons: list[str]
    monthly_savings: Decimal = Field(description="Estimated USD per month (negative = costs more)")
    monthly_savings_nano_usd: int
    co2e_grams_per_month: float
    confidence: float = Field(ge=0, le=1)
    confidence_source: str = Field(description="model:vN, heuristic:history or spot:score")
    price_status: str = Field(description="'costing' or why the savings are unpriced")
    run_id: str
    created_at: datetime
    updated_at: datetime
    state_reason: str
    snoozed_until: datetime | None
    applied_at: datetime | None
    verify_after: datetime | None
    realized_monthly_savings: Decimal | None
    realized_savings_nano_usd: int | None
    outcome: dict[str, Any] | None
    patch: PatchOut | None
    history: list[TransitionOut] | None = Field(default=None, description="Only when shown alone")

    @classmethod
    def from_row(
        cls, row: RecommendationRow, history: list[TransitionRow] | None = None
    ) -> RecommendationOut:
        body = recommendation_patch(row.kind, row.workload_kind, row.container, row.recommended)
        patch = (
            PatchOut(
                kind=row.workload_kind,
                name=row.workload,
                namespace=row.namespace,
                patch=body,
                command=kubectl_command(
                    row.workload_kind, row.workload, row.namespace, "patch.yaml"
                ),
            )
            if body is not None
            else None
        )
        return cls(
            id=row.id,
            cluster=row.cluster,
            namespace=row.namespace,
            workload_kind=row.workload_kind,
            workload=row.workload,
            container=row.container,
            kind=RecommendationKind(row.kind),
            state=RecommendationState(row.state),
            policy=row.policy,
            revision=row.revision,
            summary=row.summary,
            current=row.current,
            recommended=row.recommended,
            details=row.details,
            reasons=row.reasons,
            monthly_savings=usd(row.monthly_savings_nano_usd) or Decimal(0),
            monthly_savings_nano_usd=row.monthly_savings_nano_usd,
            co2e_grams_per_month=row.co2e_grams_per_month,
            confidence=min(max(row.confidence, 0.0), 1.0),
            confidence_source=row.confidence_source,
            price_status=row.price_status,
            run_id=row.run_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            state_reason=row.state_reason,
            snoozed_until=row.snoozed_until,
            applied_at=row.applied_at,
            verify_after=row.verify_after,
            realized_monthly_savings=usd(row.realized_savings_nano_usd),
            realized_savings_nano_usd=row.realized_savings_nano_usd,
            outcome=row.outcome,
            patch=patch,
            history=[TransitionOut.from_row(t) for t in history] if history is not None else None,
        )


class RecommendationsOut(BaseModel):
    items: list[RecommendationOut]
    total: int = Field(description="Matching recommendations (all pages)")
    limit: int
    offset: int


class TransitionIn(BaseModel):
    actor: str = Field(default="api", min_length=1, max_length=253, description="Who decides")
    comment: str = Field(default="", max_length=4000)


class SnoozeIn(TransitionIn):
    days: float = Field(default=7.0, gt=0, le=365, description="Back to open after this long")


class SavingsByKind(BaseModel):
    kind: RecommendationKind
    state: RecommendationState
    count: int
    estimated_monthly: Decimal
    realized_monthly: Decimal | None
    co2e_grams_per_month: float


class SavingsOut(BaseModel):
    """Monthly USD: estimated (open, approved, snoozed), applied and under verification,
    verified (estimated), and realized (measured after verification, verified + regressed)."""

    currency: Literal["USD"] = "USD"
    estimated_pending: Decimal
    estimated_applied: Decimal
    estimated_verified: Decimal
    realized: Decimal
    realized_count: int
    co2e_grams_per_month_pending: float
    by_kind: list[SavingsByKind]

    @classmethod
    def build(cls, rows: list[SavingsRow]) -> SavingsOut:
        def total(states: set[str]) -> int:
            return sum(r.estimated_nano_usd for r in rows if r.state in states)

        pending = {"open", "approved", "snoozed"}
        return cls(
            estimated_pending=usd(total(pending)) or Decimal(0),
            estimated_applied=usd(total({"applied"})) or Decimal(0),
            estimated_verified=usd(total({"verified"})) or Decimal(0),
            realized=usd(sum(r.realized_nano_usd for r in rows)) or Decimal(0),
            realized_count=sum(r.realized_count for r in rows),
            co2e_grams_per_month_pending=round(
                sum(r.co2e_grams for r in rows if r.state in pending), 3
            ),
            by_kind=[
                SavingsByKind(
                    kind=RecommendationKind(r.kind),
                    state=RecommendationState(r.state),
                    count=r.count,
                    estimated_monthly=usd(r.estimated_nano_usd) or Decimal(0),
                    realized_monthly=usd(r.realized_nano_usd) if r.realized_count else None,
                    co2e_grams_per_month=round(r.co2e_grams, 3),
                )
                for r in rows
            ],
        )


class RunIn(BaseModel):
    cluster: str | None = Field(default=None, description="Only this cluster (all by default)")
    namespace: str | None = Field(default=None, description="Only this namespace")
    kinds: list[RecommendationKind] = Field(
        default_factory=lambda: list(RecommendationKind), description="What to recommend"
    )
    policy: PolicyProfile | None = Field(default=None, description="Rightsizing profile")


class RunOut(BaseModel):
    id: str
    trigger: str
    policy: str
    scope: dict[str, Any]
    state: RunState
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int = Field(description="Containers + workloads in scope")
    processed: int
    progress: float = Field(ge=0, le=1)
    stats: dict[str, Any] = Field(
        description="outcomes (created, updated, unchanged, kept_*), skipped per reason with "
        "one example each, price_status"
    )
    error: str

    @classmethod
    def from_row(cls, row: RunRow) -> RunOut:
        progress = row.processed / row.total if row.total else (1.0 if row.finished_at else 0.0)
        return cls(
            id=row.id,
            trigger=row.trigger,
            policy=row.policy,
            scope=row.scope,
            state=RunState(row.state),
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            total=row.total,
            processed=row.processed,
            progress=min(progress, 1.0),
            stats=row.stats,
            error=row.error,
        )


class RunsOut(BaseModel):
    runs: list[RunOut]


class TrainingRowIn(BaseModel):
    features: dict[str, float]
    label: Literal[0, 1] = Field(description="1: the recommendation held")
    source: str = Field(default="bootstrap", max_length=64)


class TrainIn(BaseModel):
    rows: list[TrainingRowIn] = Field(default_factory=list, max_length=200_000)
    include_recorded: bool = Field(default=True, description="Add recorded outcomes")
    calibration: Literal["isotonic", "platt"] | None = Field(
        default=None, description="Default: isotonic with ≥ 200 calibration rows, else Platt"
    )
    activate: bool = True
    seed: int = Field(default=0, ge=0)


class EvaluateIn(BaseModel):
    rows: list[TrainingRowIn] = Field(default_factory=list, max_length=200_000)
    include_recorded: bool = True


class ModelOut(BaseModel):
    version: int
    created_at: datetime
    algorithm: str
    active: bool
    metrics: dict[str, Any]
    training: dict[str, Any] = Field(description="Training rows by source")
    feature_names: list[str]

    @classmethod
    def from_row(cls, row: ModelRow) -> ModelOut:
        return cls(
            version=row.version,
            created_at=row.created_at,
            algorithm=row.algorithm,
            active=row.active,
            metrics=row.metrics,
            training=row.training,
            feature_names=row.feature_names,
        )


class ModelsOut(BaseModel):
    models: list[ModelOut]
    fallback: str = Field(
        default="heuristic:history: 0.5 + 0.45·(1 − 2^(−days/2)), days = history covered",
        description="What scores recommendations while no model is active",
    )


class EvaluationOut(BaseModel):
    scorer: str = Field(description="model:vN, or heuristic:history when no model is active")
    metrics: dict[str, Any]
