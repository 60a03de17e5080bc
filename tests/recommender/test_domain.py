"""Pure folding of usage samples per container, and history facts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kubeopt_common.events import NO_LIMIT, WorkloadKind
from kubeopt_recommender.domain import ContainerHistory, aggregate_usage, history_facts
from tests.recommender.builders import T0, WINDOW, node, sample, usage_event

KEY = ("c1", "shop", "Deployment", "cart", "app")


def test_replicas_of_one_container_fold_into_one_key() -> None:
    event = usage_event(
        nodes=(
            node("n1", sample(pod="cart-a", cpu_peak_millicores=900, oom_kills=1)),
            node("n2", sample(pod="cart-b", memory_peak_bytes=2**30, restarts=2)),
        )
    )
    [batch] = aggregate_usage([event])
    assert batch.key == KEY
    assert (batch.samples, batch.windows_observed) == (2, 1)
    assert (batch.cpu_peak_millicores, batch.memory_peak_bytes) == (900, 2**30)
    assert (batch.oom_kills, batch.restarts) == (1, 2)
    assert (batch.first_window_start, batch.last_window_start, batch.last_seen) == (
        T0,
        T0,
        T0 + WINDOW,
    )


def test_keys_are_per_container_and_sorted() -> None:
    event = usage_event(
        nodes=(
            node(
                "n1",
                sample("sidecar"),
                sample("app"),
                sample(pod="db-0", workload="db", kind=WorkloadKind.STATEFULSET, namespace="data"),
            ),
        )
    )
    keys = [b.key for b in aggregate_usage([event])]
    assert keys == [
        ("c1", "data", "StatefulSet", "db", "app"),
        ("c1", "shop", "Deployment", "cart", "app"),
        ("c1", "shop", "Deployment", "cart", "sidecar"),
    ]


def test_windows_are_counted_once_even_when_split_over_messages() -> None:
    later = T0 + 2 * WINDOW
    events = [
        usage_event(
            window_start=later,
            nodes=(node("n1", sample(cpu_request_millicores=250)),),
        ),
        usage_event(window_start=T0, nodes=(node("n1"),)),
        usage_event(window_start=T0, nodes=(node("n2", sample(pod="cart-b")),)),
    ]
    [batch] = aggregate_usage(events)
    assert (batch.windows_observed, batch.samples) == (2, 3)
    assert (batch.first_window_start, batch.last_window_start) == (T0, later)
    assert batch.last_seen == later + WINDOW
    # Requests follow the newest window even though it arrived first.
    assert batch.cpu_request_millicores == 250


def test_peak_is_at_least_the_average_when_no_peak_was_measured() -> None:
    row = sample(cpu_peak_millicores=0, cpu_usage_millicores=140, memory_peak_bytes=0)
    [batch] = aggregate_usage([usage_event(nodes=(node("n1", row),))])
    assert (batch.cpu_peak_millicores, batch.memory_peak_bytes) == (140, row.memory_usage_bytes)


def test_no_limit_is_kept_as_none() -> None:
    row = sample(cpu_limit_millicores=NO_LIMIT, memory_limit_bytes=2**30)
    [batch] = aggregate_usage([usage_event(nodes=(node("n1", row),))])
    assert (batch.cpu_limit_millicores, batch.memory_limit_bytes) == (None, 2**30)


def test_an_empty_batch_folds_to_nothing() -> None:
    assert aggregate_usage([usage_event(nodes=())]) == []


def _history(hours: float) -> ContainerHistory:
    return ContainerHistory(
        key=KEY,
        first_seen=T0,
        last_seen=T0 + timedelta(hours=hours),
        windows_observed=1,
        samples=1,
        cpu_peak_millicores=1,
        memory_peak_bytes=1,
        oom_kills=0,
        restarts=0,
        cpu_request_millicores=1,
        memory_request_bytes=1,
        cpu_limit_millicores=None,
        memory_limit_bytes=None,
    )


@pytest.mark.parametrize(
    ("hours", "minimum", "enough"),
    [(0.5, 24.0, False), (23.99, 24.0, False), (24.0, 24.0, True), (72.0, 48.0, True)],
)
def test_history_facts(hours: float, minimum: float, enough: bool) -> None:
    facts = history_facts(_history(hours), min_history_hours=minimum)
    assert facts.history_hours == pytest.approx(hours)
    assert facts.enough_history is enough
