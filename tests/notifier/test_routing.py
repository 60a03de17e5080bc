"""Matchers and the routing tree: continue, inheritance, grouping, fingerprints, durations."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kubeopt_notifier.domain.matchers import MatcherError, parse_matcher
from kubeopt_notifier.domain.routing import (
    DEFAULT_ROOT,
    RouteConfig,
    RouteConfigError,
    fingerprint,
    resolve,
    routes_for,
)

BUDGET = {"kind": "budget", "cluster": "prod", "team": "shop", "severity": "critical"}


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("kind=budget", BUDGET, True),
        ('kind="budget"', BUDGET, True),
        ("kind!=budget", BUDGET, False),
        ("team=~sh.*", BUDGET, True),
        ("team=~sh", BUDGET, False),  # anchored: the whole value must match
        ("team!~ads|data", BUDGET, True),
        ("owner=", BUDGET, True),  # a missing label is the empty string
        ("owner!=", BUDGET, False),
    ],
)
def test_matchers(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize("text", ["kind", "=budget", "team=~(", "9x=1"])
def test_bad_matchers_say_why(text: str) -> None:
    with pytest.raises(MatcherError, match=r"matcher|regex"):
        parse_matcher(text)


TREE = RouteConfig.model_validate(
    {
        "channels": ["log"],
        "group_by": ["cluster"],
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "4h",
        "routes": [
            {"matchers": ["kind=budget"], "channels": ["slack"], "continue": True},
            {"matchers": ["team=shop"], "channels": ["shop-hook"], "group_wait": 0},
            {"matchers": ["team=~.+"], "channels": ["never"]},
            {
                "matchers": ["kind=anomaly"],
                "routes": [{"matchers": ["severity=critical"], "channels": ["pager"]}],
            },
        ],
    }
)


def test_continue_keeps_matching_siblings_and_the_first_stop_wins() -> None:
    root = resolve(TREE)
    taken = routes_for(root, BUDGET)
    assert [(r.id, r.channels) for r in taken] == [("0.0", ("slack",)), ("0.1", ("shop-hook",))]


def test_unset_settings_are_inherited_and_unmatched_goes_to_the_parent() -> None:
    root = resolve(TREE)
    (shop,) = routes_for(root, {"team": "shop"})
    assert (shop.group_by, shop.group_wait_s, shop.group_interval_s, shop.repeat_interval_s) == (
        ("cluster",),
        0.0,
        300.0,
        14400.0,
    )
    (anomaly,) = routes_for(root, {"kind": "anomaly", "severity": "warning"})
    assert (anomaly.id, anomaly.channels) == ("0.3", ("log",))
    (paged,) = routes_for(root, {"kind": "anomaly", "severity": "critical"})
    assert (paged.id, paged.channels) == ("0.3.0", ("pager",))
    (fallback,) = routes_for(root, {"kind": "recommendation"})
    assert fallback.id == "0"


def test_group_keys_follow_group_by() -> None:
    root = resolve(TREE)
    a = {**BUDGET, "threshold_pct": "80"}
    b = {**BUDGET, "threshold_pct": "100"}
    assert root.group_key(a) == root.group_key(b)  # grouped by cluster only
    assert root.group_key(a) != root.group_key({**a, "cluster": "dev"})
    everything = resolve(RouteConfig(channels=["log"], group_by=["..."]))
    assert everything.group_key(a) != everything.group_key(b)
    assert fingerprint(a) == fingerprint(dict(reversed(list(a.items()))))


def test_default_tree_digests_recommendations_and_sends_the_rest_at_once() -> None:
    root = resolve(DEFAULT_ROOT)
    (budget,) = routes_for(root, BUDGET)
    assert (budget.channels, budget.group_wait_s) == (("*",), 0.0)
    (recs,) = routes_for(root, {"kind": "recommendation", "cluster": "prod", "workload": "a"})
    assert (recs.group_by, recs.group_wait_s) == (("cluster", "kind"), 30.0)
    other = {"kind": "recommendation", "cluster": "prod", "workload": "b"}
    assert recs.group_key(other) == recs.group_key({**other, "workload": "a"})


def test_root_must_take_everything_and_name_channels() -> None:
    with pytest.raises(RouteConfigError, match="root route must not have matchers"):
        resolve(RouteConfig(channels=["log"], matchers=["kind=budget"]))
    with pytest.raises(RouteConfigError, match="must name channels"):
        resolve(RouteConfig())


@pytest.mark.parametrize(("value", "seconds"), [("250ms", 0.25), ("90s", 90), ("2h", 7200), (5, 5)])
def test_durations(value: object, seconds: float) -> None:
    assert RouteConfig.model_validate({"group_wait": value}).group_wait == seconds


def test_bad_route_settings_are_rejected() -> None:
    with pytest.raises(ValidationError, match="not a duration"):
        RouteConfig.model_validate({"group_wait": "soon"})
    with pytest.raises(ValidationError, match="not a matcher"):
        RouteConfig.model_validate({"matchers": ["nope"]})
