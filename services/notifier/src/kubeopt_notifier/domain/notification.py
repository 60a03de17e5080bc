"""Events become channel-neutral notifications; notifications are grouped into messages.

A :class:`Notification` is one event for people; a :class:`Message` is what one channel is sent
(one or more notifications of a routing group); every channel renders a message its own way (a
log line, Slack Block Kit, a signed webhook body) and answers a :class:`DeliveryResult`.
"""

from __future__ import annotations

import uuid
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

NotificationKind = Literal["budget", "anomaly", "recommendation", "test"]


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
    """Where a (source event, channel) pair stands in the delivery log."""

    PENDING = "pending"  # in a message waiting for its first attempt
    RETRYING = "retrying"  # an attempt failed transiently; another is scheduled
    DELIVERED = "delivered"
    FAILED = "failed"  # refused (4xx): not retried, dead-lettered
    DEAD_LETTERED = "dead_lettered"  # every attempt failed, or the channel was disabled
    SILENCED = "silenced"  # a silence matched it when its group was flushed
    SUPPRESSED = "suppressed"  # the same alert was notified within repeat_interval


class ResultStatus(StrEnum):
    DELIVERED = "delivered"
    RETRYABLE = "retryable"
    FAILED = "failed"
    GONE = "gone"  # HTTP 410: the endpoint no longer exists; the channel is disabled


class DeliveryResult(BaseModel):
    """A channel's answer. ``retry_after_s`` (seconds) echoes e.g. an HTTP ``Retry-After``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ResultStatus
    retry_after_s: float | None = Field(default=None, ge=0)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is ResultStatus.DELIVERED

    @classmethod
    def delivered(cls) -> DeliveryResult:
        return cls(status=ResultStatus.DELIVERED)

    @classmethod
    def failed(cls, error: str) -> DeliveryResult:
        """The channel refused the message; repeating it unchanged is unlikely to help."""
        return cls(status=ResultStatus.FAILED, error=error)

    @classmethod
    def gone(cls, error: str) -> DeliveryResult:
        """The endpoint is gone for good (HTTP 410): stop sending to it."""
        return cls(status=ResultStatus.GONE, error=error)

    @classmethod
    def retryable(cls, error: str, *, retry_after_s: float | None = None) -> DeliveryResult:
        """A transient failure (timeout, 429, 5xx): try again, not before ``retry_after_s``."""
        return cls(status=ResultStatus.RETRYABLE, error=error, retry_after_s=retry_after_s)


class Message(BaseModel):
    """What one channel is sent: the notifications of one routing group at one flush.

    ``message_id`` is derived from (group, channel, event ids): the same content is never queued
    twice, and it stays the same across retries (the Standard Webhooks ``webhook-id``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: uuid.UUID
    channel: str
    route: str
    group_key: str
    group_labels: dict[str, str]
    notifications: tuple[Notification, ...] = Field(min_length=1)
    created_at: datetime

    @property
    def kinds(self) -> set[NotificationKind]:
        return {n.kind for n in self.notifications}

    @property
    def severity(self) -> Severity:
        order = [Severity.INFO, Severity.WARNING, Severity.CRITICAL]
        return max((n.severity for n in self.notifications), key=order.index)

    @property
    def title(self) -> str:
        """One line: the notification's title, or a digest heading for several."""
        if len(self.notifications) == 1:
            return self.notifications[0].title
        clusters = sorted({n.cluster for n in self.notifications})
        where = f" on {', '.join(clusters)}" if len(clusters) <= 3 else ""
        if self.kinds == {"recommendation"}:
            return f"{len(self.notifications)} new recommendations{where}"
        return f"{len(self.notifications)} notifications{where}"


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
            # A new period's crossing is a new alert, never a repeat of the last one.
            "period_start": event.period_start.isoformat(),
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


def channel_test_notification(channel: str, *, now: datetime, event_id: uuid.UUID) -> Notification:
    """What the test-send endpoint delivers: visibly a test, routed nowhere else."""
    return Notification(
        source_event_id=event_id,
        source_subject="kubeopt.v1.notifier.test",
        kind="test",
        cluster="kubeopt",
        occurred_at=now,
        title=f"KubeOpt AI test notification for channel {channel}",
        text="If you can read this, the channel works. No action is needed.",
        severity=Severity.INFO,
        labels={"kind": "test", "channel": channel},
    )
