"""Decaying exponential histograms: buckets, percentiles, decay, bulk adds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeopt_recommender.domain.histogram import (
    CPU_BUCKETS,
    MEMORY_BUCKETS,
    BucketScheme,
    DecayingHistogram,
)

DAY = 86_400.0
T = 1_700_000_000.0


@given(st.floats(min_value=0.5, max_value=900_000.0))
def test_a_value_lies_in_its_bucket(value: float) -> None:
    i = CPU_BUCKETS.index(value)
    assert CPU_BUCKETS.start(i) <= value * (1 + 1e-12)
    assert value < CPU_BUCKETS.start(i + 1) * (1 + 1e-12)


def test_schemes_cover_their_range_with_two_percent_buckets() -> None:
    assert CPU_BUCKETS.index(1_000_000) < CPU_BUCKETS.size
    assert CPU_BUCKETS.index(1e9) == CPU_BUCKETS.size - 1  # beyond the maximum: the last bucket
    assert MEMORY_BUCKETS.index(1e12) < MEMORY_BUCKETS.size
    i = MEMORY_BUCKETS.index(500 * 2**20)
    width = MEMORY_BUCKETS.start(i + 1) - MEMORY_BUCKETS.start(i)
    assert width / MEMORY_BUCKETS.start(i) < 0.025  # about 2 %: the upward bias of an estimate


def test_percentile_is_the_end_of_the_bucket_reached() -> None:
    h = DecayingHistogram.empty(CPU_BUCKETS, half_life_s=DAY)
    for v in range(100, 200):
        h.add(v, T)
    median = h.percentile(0.5)
    assert 149 <= median <= 149 * 1.03
    assert h.percentile(1.0) >= 199
    assert h.percentile(0.5) <= h.percentile(0.9) <= h.percentile(1.0)


def test_newer_samples_weigh_more() -> None:
    h = DecayingHistogram.empty(CPU_BUCKETS, half_life_s=DAY)
    for _ in range(10):
        h.add(100, T)
    for _ in range(10):
        h.add(1000, T + 3 * DAY)  # 8x the weight of each old sample
    assert h.percentile(0.5) > 900


def test_samples_older_than_the_epsilon_drop_out_of_the_maximum() -> None:
    h = DecayingHistogram.empty(CPU_BUCKETS, half_life_s=DAY)
    h.add(5000, T)
    h.add(100, T + 20 * DAY)  # 2^-20 < 1e-4: the old spike no longer counts
    assert h.percentile(1.0) < 110


def test_subtract_removes_a_sample() -> None:
    h = DecayingHistogram.empty(MEMORY_BUCKETS, half_life_s=DAY)
    h.add(300 * 2**20, T)
    h.add(500 * 2**20, T)
    h.subtract(500 * 2**20, T)
    assert h.percentile(1.0) < 310 * 2**20


def test_bulk_add_equals_one_by_one_across_a_renormalisation() -> None:
    values = np.array([50.0, 120.0, 300.0, 80.0, 4000.0])
    times = np.array([T, T + 10 * DAY, T + 41 * DAY, T + 45 * DAY, T + 60 * DAY])
    one = DecayingHistogram.empty(CPU_BUCKETS, half_life_s=DAY)
    for v, t in zip(values, times, strict=True):
        one.add(float(v), float(t))
    bulk = DecayingHistogram.empty(CPU_BUCKETS, half_life_s=DAY)
    bulk.add_many(values[:2], times[:2])
    bulk.add_many(values[2:], times[2:])
    for p in (0.5, 0.9, 1.0):
        assert bulk.percentile(p) == one.percentile(p)
    assert bulk.total_weight() == pytest.approx(one.total_weight(), rel=1e-9)


def test_empty_histogram_and_bad_input() -> None:
    h = DecayingHistogram.empty(CPU_BUCKETS, half_life_s=DAY)
    assert h.percentile(0.9) == 0.0
    with pytest.raises(ValueError, match="percentile fraction"):
        h.percentile(0.0)
    with pytest.raises(ValueError, match="half_life_s"):
        DecayingHistogram.empty(CPU_BUCKETS, half_life_s=0)
    assert BucketScheme(1.0, 1.05, 1000).index(-5) == 0
