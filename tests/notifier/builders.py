"""Notifier test inputs (on top of the shared ``tests.builders``) and test channel types."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import JsonValue

from kubeopt_common.events import (
    AnomalyDetected,
    BudgetThresholdCrossed,
    RecommendationCreated,
    RecommendationKind,
    RecommendationState,
    Severity,
    Target,
    WorkloadKind,
)
from kubeopt_notifier.domain import DeliveryResult, Message, Notification
from tests.builders import (
    make_anomaly_detected,
    make_budget_threshold_crossed,
    make_recommendation_created,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def budget_event(**overrides: Any) -> BudgetThresholdCrossed:
    fields: dict[str, Any] = {
        "cluster": "c1",
        "budget_id": "b-42",
        "budget_name": "shop-monthly",
        "scope": "namespace=shop",
        "period_start": T0,
        "period_end": T0 + timedelta(days=31),
        "threshold_pct": 80,
        "basis": "actual",
        "amount_nano_usd": 1_000 * 10**9,
        "spend_to_date_nano_usd": 812_345_000_000,
        "forecast_nano_usd": 1_100 * 10**9,
        "labels": {"team": "shop"},
    }
    return make_budget_threshold_crossed(**{**fields, **overrides})


def anomaly_event(**overrides: Any) -> AnomalyDetected:
    fields: dict[str, Any] = {
        "cluster": "c1",
        "anomaly_id": "a-1",
        "namespace": "ads",
        "workload": "bidder",
        "window_start": T0,
        "window_end": T0 + timedelta(hours=1),
        "expected_nano_usd": 2 * 10**9,
        "actual_nano_usd": 9_500_000_000,
        "score": 6.25,
        "severity": Severity.CRITICAL,
    }
    return make_anomaly_detected(**{**fields, **overrides})


def recommendation_event(**overrides: Any) -> RecommendationCreated:
    fields: dict[str, Any] = {
        "cluster": "c1",
        "recommendation_id": "r-7",
        "kind": RecommendationKind.RIGHTSIZING,
        "state": RecommendationState.OPEN,
        "target": Target(
            namespace="shop",
            workload_kind=WorkloadKind.DEPLOYMENT,
            workload="cart",
            container="app",
        ),
        "summary": "Lower the CPU request from 2000m to 500m.",
        "monthly_savings_nano_usd": 41_250_000_000,
        "confidence": 0.87,
    }
    return make_recommendation_created(**{**fields, **overrides})


def message_of(*notifications: Notification, channel: str = "team") -> Message:
    """A message of ``notifications`` as the dispatcher would queue it."""
    return Message(
        message_id=uuid.uuid4(),
        channel=channel,
        route="0",
        group_key="g" * 64,
        group_labels={"cluster": "c1"},
        notifications=notifications,
        created_at=T0,
    )


class RecordingChannel:
    """A test channel: remembers what it sent; fails the first ``failures`` sends per message."""

    type: ClassVar[str] = "recording"
    rate_limit: tuple[float, int] | None = None

    def __init__(self, *, name: str, failures: int, sent: list[Message]) -> None:
        self.name = name
        self._failures = failures
        self._tries: dict[uuid.UUID, int] = {}
        self.sent = sent

    async def send(self, message: Message) -> DeliveryResult:
        tries = self._tries[message.message_id] = self._tries.get(message.message_id, 0) + 1
        if tries <= self._failures:
            return DeliveryResult.retryable("HTTP 503 from the test endpoint")
        self.sent.append(message)
        return DeliveryResult.delivered()

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RecordingChannelType:
    """A ``kubeopt.channels``-style factory whose channels share one ``sent`` list per name."""

    type = "recording"

    def __init__(self) -> None:
        self.sent: dict[str, list[Message]] = {}

    def from_params(self, *, name: str, params: Mapping[str, JsonValue]) -> RecordingChannel:
        failures = params.get("failures", 0)
        assert isinstance(failures, int)
        return RecordingChannel(name=name, failures=failures, sent=self.sent.setdefault(name, []))

    def event_ids(self, channel: str) -> list[uuid.UUID]:
        """Source events sent on ``channel``, in order."""
        return [n.source_event_id for m in self.sent.get(channel, []) for n in m.notifications]
