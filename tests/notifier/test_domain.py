"""Events become channel-neutral notifications; money is shown in dollars and cents."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import pytest

from kubeopt_common.events import Severity
from kubeopt_notifier.domain import (
    DeliveryResult,
    ResultStatus,
    budget_severity,
    format_usd,
    notification_from_anomaly,
    notification_from_budget,
    notification_from_recommendation,
)
from kubeopt_notifier.domain.routing import fingerprint
from tests.notifier.builders import (
    T0,
    anomaly_event,
    budget_event,
    message_of,
    recommendation_event,
)


@pytest.mark.parametrize(
    ("nano_usd", "shown"),
    [
        (0, "$0.00"),
        (4_999_999, "$0.00"),
        (5_000_000, "$0.01"),
        (1_234_567_890_000, "$1,234.57"),
        (-500_000_000, "-$0.50"),
        (-1, "$0.00"),
    ],
)
def test_format_usd_rounds_half_up_to_cents(nano_usd: int, shown: str) -> None:
    assert format_usd(nano_usd) == shown


@pytest.mark.parametrize(
    ("threshold_pct", "basis", "severity"),
    [
        (50, "actual", Severity.INFO),
        (80, "actual", Severity.WARNING),
        (100, "actual", Severity.CRITICAL),
        (150, "actual", Severity.CRITICAL),
        (79, "forecast", Severity.INFO),
        (100, "forecast", Severity.WARNING),
    ],
)
def test_budget_severity(
    threshold_pct: int, basis: Literal["actual", "forecast"], severity: Severity
) -> None:
    assert budget_severity(threshold_pct, basis) is severity


def test_budget_crossing_notification() -> None:
    event = budget_event(labels={"team": "shop", "kind": "spoofed"})
    n = notification_from_budget(event)
    assert (n.source_event_id, n.source_subject) == (event.event_id, event.subject)
    assert n.source_subject == "kubeopt.v1.budget.threshold_crossed.c1"
    assert n.title == "Budget shop-monthly crossed 80% (actual)"
    assert n.text == (
        "Spend to date is $812.35 of the $1,000.00 budget (namespace=shop). "
        "Period 2026-03-01 to 2026-04-01."
    )
    assert n.severity is Severity.WARNING
    # The event's own labels are kept, but cannot override the notifier's routing labels.
    assert n.labels["team"] == "shop"
    assert n.labels["kind"] == "budget"
    assert n.labels["threshold_pct"] == "80"


def test_forecast_crossing_mentions_the_forecast() -> None:
    n = notification_from_budget(budget_event(basis="forecast", threshold_pct=100))
    assert n.text.startswith("Forecast spend is $1,100.00 of the $1,000.00 budget")
    assert n.severity is Severity.WARNING


def test_anomaly_notification_keeps_the_event_severity() -> None:
    n = notification_from_anomaly(anomaly_event())
    assert n.title == "Spend anomaly in ads/bidder on c1"
    assert "$9.50 against an expected $2.00" in n.text
    assert "(score 6.25)" in n.text
    assert n.severity is Severity.CRITICAL
    assert n.labels == {
        "cluster": "c1",
        "kind": "anomaly",
        "namespace": "ads",
        "workload": "bidder",
    }


def test_namespace_anomaly_has_no_workload_label() -> None:
    n = notification_from_anomaly(anomaly_event(workload="", severity=Severity.WARNING))
    assert n.title == "Spend anomaly in ads on c1"
    assert "workload" not in n.labels


def test_recommendation_notification() -> None:
    n = notification_from_recommendation(recommendation_event())
    assert n.kind == "recommendation"
    assert n.title == "New rightsizing recommendation for shop/Deployment/cart/app"
    assert n.text == (
        "Lower the CPU request from 2000m to 500m. Estimated savings $41.25 per month "
        "(confidence 87%)."
    )
    assert n.severity is Severity.INFO
    assert n.labels["recommendation_id"] == "r-7"


def test_delivery_results() -> None:
    assert DeliveryResult.delivered().ok
    failed = DeliveryResult.failed("HTTP 400: invalid_blocks")
    assert (failed.ok, failed.status, failed.error) == (False, ResultStatus.FAILED, failed.error)
    retry = DeliveryResult.retryable("HTTP 429", retry_after_s=30)
    assert (retry.status, retry.retry_after_s) == (ResultStatus.RETRYABLE, 30)
    assert DeliveryResult.gone("HTTP 410").status is ResultStatus.GONE


def test_a_new_period_is_a_new_alert() -> None:
    march = notification_from_budget(budget_event())
    april = notification_from_budget(budget_event(period_start=T0 + timedelta(days=31)))
    assert march.labels["period_start"] == "2026-03-01T00:00:00+00:00"
    assert fingerprint(march.labels) != fingerprint(april.labels)


def test_message_titles_single_and_digest() -> None:
    one = message_of(notification_from_budget(budget_event()))
    assert one.title == "Budget shop-monthly crossed 80% (actual)"
    recs = message_of(*(notification_from_recommendation(recommendation_event()) for _ in range(3)))
    assert recs.title == "3 new recommendations on c1"
    mixed = message_of(
        notification_from_budget(budget_event()), notification_from_anomaly(anomaly_event())
    )
    assert mixed.title == "2 notifications on c1"
    assert mixed.severity is Severity.CRITICAL
