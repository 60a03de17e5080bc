"""``recommendation.created`` / ``recommendation.updated``."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from kubeopt_common.events.envelope import Contract, Event, Name
from kubeopt_common.events.inventory import WorkloadKind
from kubeopt_common.events.subjects import Subject


class RecommendationKind(StrEnum):
    RIGHTSIZING = "rightsizing"
    SPOT = "spot"
    CARBON_SHIFT = "carbon_shift"
    CARBON_REGION = "carbon_region"


class RecommendationState(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    SNOOZED = "snoozed"
    APPLIED = "applied"
    VERIFIED = "verified"
    REGRESSED = "regressed"
    EXPIRED = "expired"


class Target(Contract):
    namespace: Name
    workload_kind: WorkloadKind
    workload: Name
    container: str = ""


class RecommendationEvent(Event):
    recommendation_id: Name
    kind: RecommendationKind
    state: RecommendationState
    target: Target
    summary: str
    monthly_savings_nano_usd: int
    co2e_saved_grams_per_month: float = 0.0
    confidence: float = Field(ge=0.0, le=1.0)
    details: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class RecommendationCreated(RecommendationEvent):
    SUBJECT: ClassVar[Subject] = Subject.RECOMMENDATION_CREATED


class RecommendationUpdated(RecommendationEvent):
    SUBJECT: ClassVar[Subject] = Subject.RECOMMENDATION_UPDATED

    previous_state: RecommendationState | None = None
