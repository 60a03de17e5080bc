"""Pure notification logic: events become channel-neutral notifications. No I/O.

A :class:`Notification` is what every channel renders (a log line, Slack Block Kit, a signed
webhook body); a :class:`DeliveryResult` is what a channel answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kubeopt_common.events import (
    AnomalyDetected,
    BudgetThresholdCrossed,
    RecommendationCreated,
    Severity,
)

NANO_PER_USD = Decimal(10**9)
CENT = Decimal("0.01")

NotificationKind = Literal["budget", "anomaly", "recommendation"]


class Notification(BaseModel):
    """A message for people, derived from one event; ``source_event_id`` is the dedupe key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_event_id: uuid.UUID
    source_subject: str
    kind: NotificationKind
    cluster: str
    occurred_at: datetime
    title: str
    text: str
    severity: Severity
    labels: dict[str, str] = Field(default_factory=dict)


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    RETRYABLE = "retryable"


class DeliveryResult(BaseModel):
    """A channel's answer. ``retry_after_s`` (seconds) echoes e.g. an HTTP ``Retry-After``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: DeliveryStatus
    retry_after_s: float | None = Field(default=None, ge=0)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is DeliveryStatus.DELIVERED

    @classmethod
    def delivered(cls) -> DeliveryResult:
        return cls(status=DeliveryStatus.DELIVERED)

    @classmethod
    def failed(cls, error: str) -> DeliveryResult:
        """The channel refused the notification; repeating it unchanged is unlikely to help."""
        return cls(status=DeliveryStatus.FAILED, error=error)

    @classmethod
    def retryable(cls, error: str, *, retry_after_s: float | None = None) -> DeliveryResult:
        """A transient failure (timeout, 429, 5xx): try again, not before ``retry_after_s``."""
        return cls(status=DeliveryStatus.RETRYABLE, error=error, retry_after_s=retry_after_s)


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One try of one notification on one channel, and its result."""

    notification: Notification
    channel: str
    channel_type: str
    result: DeliveryResult


def format_usd(amount_nano_usd: int) -> str:
    """Nano-USD for people: ``$1,234.57``, ``-$0.50`` (rounded half away from zero to cents)."""
    usd = (Decimal(abs(amount_nano_usd)) / NANO_PER_USD).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if amount_nano_usd < 0 and usd else ""
    return f"{sign}${usd:,.2f}"


def budget_severity(threshold_pct: int, basis: Literal["actual", "forecast"]) -> Severity:
    """Spend at or over the budget is critical; a forecast overrun or 80 % of it is a warning."""
    if basis == "actual" and threshold_pct >= 100:
        return Severity.CRITICAL
    if threshold_pct >= 80:
        return Severity.WARNING
    return Severity.INFO


def notification_from_budget(event: BudgetThresholdCrossed) -> Notification:
    spent = format_usd(event.spend_to_date_nano_usd)
    amount = format_usd(event.amount_nano_usd)
    if event.basis == "actual":
        text = f"Spend to date is {spent} of the {amount} budget ({event.scope})."
    else:
        forecast = format_usd(event.forecast_nano_usd)
        text = (
            f"Forecast spend is {forecast} of the {amount} budget ({event.scope}); {spent} so far."
        )
    period = f"{event.period_start:%Y-%m-%d} to {event.period_end:%Y-%m-%d}"
    return Notification(
        source_event_id=event.event_id,
        source_subject=event.subject,
        kind="budget",
        cluster=event.cluster,
        occurred_at=event.occurred_at,
        title=f"Budget {event.budget_name} crossed {event.threshold_pct}% ({event.basis})",
        text=f"{text} Period {period}.",
        severity=budget_severity(event.threshold_pct, event.basis),
        labels={
            **event.labels,
            "cluster": event.cluster,
            "kind": "budget",
            "budget_id": event.budget_id,
            "scope": event.scope,
            "basis": event.basis,
            "threshold_pct": str(event.threshold_pct),
        },
    )


def notification_from_anomaly(event: AnomalyDetected) -> Notification:
    target = f"{event.namespace}/{event.workload}" if event.workload else event.namespace
    labels = {"cluster": event.cluster, "kind": "anomaly", "namespace": event.namespace}
    if event.workload:
        labels["workload"] = event.workload
    return Notification(
        source_event_id=event.event_id,
        source_subject=event.subject,
        kind="anomaly",
        cluster=event.cluster,
        occurred_at=event.occurred_at,
        title=f"Spend anomaly in {target} on {event.cluster}",
        text=(
            f"Spend was {format_usd(event.actual_nano_usd)} against an expected "
            f"{format_usd(event.expected_nano_usd)} from {event.window_start:%Y-%m-%d %H:%M} "
            f"to {event.window_end:%Y-%m-%d %H:%M} UTC (score {event.score:.2f})."
        ),
        severity=event.severity,
        labels=labels,
    )


def notification_from_recommendation(event: RecommendationCreated) -> Notification:
    target = event.target
    where = f"{target.namespace}/{target.workload_kind.value}/{target.workload}"
    if target.container:
        where = f"{where}/{target.container}"
    labels = {
        "cluster": event.cluster,
        "kind": "recommendation",
        "recommendation_kind": event.kind.value,
        "recommendation_id": event.recommendation_id,
        "namespace": target.namespace,
        "workload": target.workload,
    }
    return Notification(
        source_event_id=event.event_id,
        source_subject=event.subject,
        kind="recommendation",
        cluster=event.cluster,
        occurred_at=event.occurred_at,
        title=f"New {event.kind.value} recommendation for {where}",
        text=(
            f"{event.summary} Estimated savings {format_usd(event.monthly_savings_nano_usd)} "
            f"per month (confidence {event.confidence:.0%})."
        ),
        severity=Severity.INFO,
        labels=labels,
    )
