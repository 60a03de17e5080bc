"""The hot-path footprint: interpolated node figures match the exact CCF ones, splits are exact."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeopt_common.events import Provider
from kubeopt_costing.carbon_catalog import load_carbon_catalog
from kubeopt_costing.domain.carbon import CarbonCoefficients, node_carbon
from kubeopt_costing.domain.footprint import Footprints, NodeFootprint, split_footprint
from tests.builders import make_node

GIB = 1024**3
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def coefficients() -> CarbonCoefficients:
    return load_carbon_catalog()


@pytest.mark.parametrize("usage", [0, 1, 777, 2_000, 3_999, 4_000, 9_000])
def test_interpolation_matches_the_exact_figures(
    coefficients: CarbonCoefficients, usage: int
) -> None:
    node = make_node(
        instance_type="m5.xlarge", cpu_capacity_millicores=4_000, memory_capacity_bytes=16 * GIB
    )
    fast = Footprints(coefficients).node(
        provider=Provider.AWS,
        region="us-east-1",
        node=node,
        window_start=START,
        window_seconds=60,
        cpu_usage_millicores=usage,
    )
    exact = node_carbon(
        coefficients,
        provider=Provider.AWS,
        region="us-east-1",
        node=node,
        window_start=START,
        window_seconds=60,
        cpu_usage_millicores=min(usage, 4_000),
    )
    assert abs(fast.cpu_ug - (exact.compute_ug + exact.embodied_ug)) <= 2
    assert fast.memory_ug == exact.memory_ug
    assert abs(fast.cpu_marginal_ug - (exact.compute_marginal_ug + exact.embodied_ug)) <= 2
    assert abs(fast.cpu_uwh - int(exact.compute_uwh * exact.pue)) <= 2


@settings(max_examples=200, deadline=None)
@given(
    cpu=st.lists(st.integers(0, 8_000), max_size=40),
    mem=st.integers(0, 10**12),
    totals=st.tuples(*[st.integers(0, 10**9)] * 9),
    gpus=st.integers(0, 4),
)
def test_split_is_exact_and_never_negative(
    cpu: list[int], mem: int, totals: tuple[int, ...], gpus: int
) -> None:
    footprint = NodeFootprint(*totals)
    memory = [mem // (i + 1) for i in range(len(cpu))]
    split = split_footprint(
        footprint,
        cpu_bases=cpu,
        cpu_capacity=4_000,
        memory_bases=memory,
        memory_capacity=16 * GIB,
        gpu_bases=[1] * len(cpu) if gpus else [0] * len(cpu),
        gpu_capacity=gpus,
    )
    f = footprint
    assert sum(split.co2e_ug) + split.co2e_idle_ug == f.cpu_ug + f.memory_ug + f.gpu_ug
    assert sum(split.marginal_ug) + split.marginal_idle_ug == (
        f.cpu_marginal_ug + f.memory_marginal_ug + f.gpu_marginal_ug
    )
    assert sum(split.energy_uwh) + split.energy_idle_uwh == f.cpu_uwh + f.memory_uwh + f.gpu_uwh
    for values, idle in (
        (split.co2e_ug, split.co2e_idle_ug),
        (split.energy_uwh, split.energy_idle_uwh),
    ):
        assert min(values, default=0) >= 0
        assert idle >= 0
