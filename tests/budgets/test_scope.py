"""Budget scopes: name patterns, namespace label selectors, and thresholds crossed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kubeopt_budgets.domain.budget import (
    Basis,
    Threshold,
    crossed,
    crossing_event_id,
    usd_to_nano_usd,
)
from kubeopt_budgets.domain.forecast import Forecast, ForecastMethod
from kubeopt_budgets.domain.scope import Scope, parse_selector
from kubeopt_budgets.errors import InvalidBudgetError

SHOP = {"team": "shop", "env": "prod", "tier": "web"}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("team=shop", SHOP, True),
        ("team==shop,env=prod", SHOP, True),
        ("team!=shop", SHOP, False),
        ("team!=ads", {}, True),  # != matches a missing key, as in Kubernetes
        ("tier in (web, api)", SHOP, True),
        ("tier notin (web)", SHOP, False),
        ("gpu", SHOP, False),
        ("!gpu", SHOP, True),
        ("env in (prod,staging),!legacy,team", SHOP, True),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], expected: bool) -> None:
    scope = Scope(namespace_selector=selector)
    assert scope.matches("c1", "ns", labels) is expected


@pytest.mark.parametrize("selector", ["team=", "=shop", "tier in ()", "a b", "x in (a", "k=v v"])
def test_bad_selectors_name_the_field(selector: str) -> None:
    if selector == "team=":  # an empty value is valid Kubernetes syntax
        assert parse_selector(selector)[0].values == frozenset({""})
        return
    with pytest.raises(InvalidBudgetError) as raised:
        Scope(namespace_selector=selector)
    assert raised.value.field == "scope.namespace_selector"


def test_name_patterns_and_unknown_labels() -> None:
    scope = Scope(clusters=("prod-*",), namespaces=("shop", "checkout-*"))
    assert scope.matches("prod-eu", "checkout-api", None)
    assert not scope.matches("dev-eu", "shop", None)
    assert not scope.matches("prod-eu", "ads", None)
    assert scope.literal_clusters() is None
    assert Scope(clusters=("a", "b")).literal_clusters() == ("a", "b")
    labelled = Scope(namespaces=("*",), namespace_selector="team=shop")
    assert not labelled.matches("c", "shop", None)  # labels never seen: no match
    assert labelled.describe() == "namespace=* labels(team=shop)"


def test_empty_scope_is_rejected() -> None:
    with pytest.raises(InvalidBudgetError) as raised:
        Scope()
    assert raised.value.field == "scope"


def test_thresholds_compare_exact_integers() -> None:
    thresholds = [Threshold(50, Basis.ACTUAL), Threshold(100, Basis.ACTUAL)]
    flat = Forecast(0, ForecastMethod.TREND, 3)
    assert crossed(thresholds, amount_nano_usd=3, spend_to_date_nano_usd=1, forecast=flat) == []
    # 1.5 / 3 is exactly 50 %.
    hits = crossed(thresholds, amount_nano_usd=300, spend_to_date_nano_usd=150, forecast=flat)
    assert hits == [Threshold(50, Basis.ACTUAL)]


def test_forecast_thresholds_wait_for_a_real_forecast() -> None:
    over = [Threshold(100, Basis.FORECAST)]
    run_rate = Forecast(500, ForecastMethod.RUN_RATE, 0)
    trend = Forecast(500, ForecastMethod.TREND, 2)
    assert crossed(over, amount_nano_usd=100, spend_to_date_nano_usd=1, forecast=run_rate) == []
    assert crossed(over, amount_nano_usd=100, spend_to_date_nano_usd=1, forecast=trend) == over


def test_crossing_ids_are_stable_per_key() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    a = crossing_event_id("b1", start, Threshold(80, Basis.ACTUAL))
    assert a == crossing_event_id("b1", start, Threshold(80, Basis.ACTUAL))
    assert a != crossing_event_id("b1", start, Threshold(80, Basis.FORECAST))


@pytest.mark.parametrize(
    ("amount", "nano"), [(Decimal("1000"), 10**12), (Decimal("0.000000001"), 1)]
)
def test_amounts_in_nano_usd(amount: Decimal, nano: int) -> None:
    assert usd_to_nano_usd(amount) == nano


@pytest.mark.parametrize("amount", [Decimal("-5"), Decimal(0), Decimal("0.0000000001")])
def test_bad_amounts_name_the_field(amount: Decimal) -> None:
    with pytest.raises(InvalidBudgetError) as raised:
        usd_to_nano_usd(amount)
    assert raised.value.field == "amount"
