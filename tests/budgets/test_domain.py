"""Pure spend bookkeeping: the greatest total wins, whatever the order."""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeopt_budgets.domain import (
    Period,
    nano_usd_to_usd,
    reduce_totals,
    spend_total_from_event,
    winning_total,
)
from kubeopt_budgets.errors import InvalidPeriodError, InvalidSpendError
from tests.budgets.builders import T0, WINDOW, spend_event, spend_total


def test_greater_total_wins_in_either_order() -> None:
    small = spend_total(cost_nano_usd=100)
    large = spend_total(cost_nano_usd=250)
    assert winning_total(small, large) is large
    assert winning_total(large, small) is large


def test_equal_totals_are_decided_by_breakdown_then_event_id() -> None:
    low_id, high_id = sorted([uuid.uuid4(), uuid.uuid4()])
    a = spend_total(cost_nano_usd=100, cpu_cost_nano_usd=60, event_id=high_id)
    b = spend_total(cost_nano_usd=100, cpu_cost_nano_usd=70, event_id=low_id)
    assert winning_total(a, b) is b
    assert winning_total(b, a) is b
    c = spend_total(cost_nano_usd=100, cpu_cost_nano_usd=70, event_id=high_id)
    assert winning_total(b, c) is c
    assert winning_total(c, b) is c


def test_an_exact_duplicate_keeps_the_current_total() -> None:
    total = spend_total()
    copy = dataclasses.replace(total)
    assert copy == total
    assert winning_total(total, copy) is total


def test_reduce_keeps_one_winner_per_window_sorted_by_key() -> None:
    later = T0 + WINDOW
    totals = [
        spend_total(namespace="b", cost_nano_usd=5),
        spend_total(namespace="a", window_start=later, cost_nano_usd=7),
        spend_total(namespace="a", cost_nano_usd=3),
        spend_total(namespace="a", cost_nano_usd=9),
        spend_total(namespace="b", cost_nano_usd=1),
    ]
    reduced = reduce_totals(totals)
    assert [(t.namespace, t.window_start, t.cost_nano_usd) for t in reduced] == [
        ("a", T0, 9),
        ("a", later, 7),
        ("b", T0, 5),
    ]


@given(
    costs=st.lists(st.integers(min_value=0, max_value=10**15), min_size=1, max_size=30),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_reduce_is_independent_of_order_and_duplicates(costs: list[int], seed: int) -> None:
    totals = [spend_total(cost_nano_usd=c, namespace=f"ns{c % 3}") for c in costs]
    shuffled = totals + totals[: len(totals) // 2]
    random.Random(seed).shuffle(shuffled)
    assert reduce_totals(shuffled) == reduce_totals(totals)
    for winner in reduce_totals(totals):
        same_window = [t.cost_nano_usd for t in totals if t.key == winner.key]
        assert winner.cost_nano_usd == max(same_window)


def test_event_becomes_a_total() -> None:
    event = spend_event(cost_nano_usd=1_234, gpu_cost_nano_usd=34)
    total = spend_total_from_event(event)
    assert total.key == (event.cluster, event.namespace, event.window_start)
    assert (total.cost_nano_usd, total.gpu_cost_nano_usd, total.event_id) == (
        1_234,
        34,
        event.event_id,
    )


def test_non_usd_spend_is_rejected_naming_the_currency() -> None:
    with pytest.raises(InvalidSpendError, match="EUR"):
        spend_total_from_event(spend_event(currency="EUR"))


def test_window_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(InvalidSpendError, match="window_end"):
        spend_total_from_event(spend_event(window_end=T0))


@pytest.mark.parametrize(
    ("nano_usd", "usd"),
    [
        (0, "0.000000000"),
        (1, "0.000000001"),
        (1_500_000_000, "1.500000000"),
        (123_456_789_012, "123.456789012"),
        (9_223_372_036_854_775_807, "9223372036.854775807"),
    ],
)
def test_nano_usd_formats_exactly(nano_usd: int, usd: str) -> None:
    assert nano_usd_to_usd(nano_usd) == usd


def test_period_requires_end_after_start() -> None:
    with pytest.raises(InvalidPeriodError, match="later than start"):
        Period(T0, T0)
    assert Period(T0, T0 + timedelta(seconds=1)).end > T0


def test_period_rejects_naive_bounds() -> None:
    with pytest.raises(InvalidPeriodError, match="timezone-aware"):
        Period(datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC))  # noqa: DTZ001
