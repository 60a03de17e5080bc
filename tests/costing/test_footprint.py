"""The hot-path footprint: interpolated node figures match the exact CCF ones, splits are exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def _footprint_at(footprints: Footprints, start: datetime) -> NodeFootprint:
    node = make_node(
        instance_type="m5.xlarge", cpu_capacity_millicores=4_000, memory_capacity_bytes=16 * GIB
    )
    return footprints.node(
        provider=Provider.AWS,
        region="us-east-1",
        node=node,
        window_start=start,
        window_seconds=60,
        cpu_usage_millicores=1_000,
    )


def test_one_footprint_cache_follows_an_hourly_profile_across_windows(tmp_path: Path) -> None:
    profile = tmp_path / "profile.yaml"
    hours = [100 + 10 * h for h in range(24)]
    profile.write_text(
        'source: test profile by hour\nas_of: "2026-01-01"\nprofiles:\n  aws:\n    us-east-1:\n'
        f"      average_g_per_kwh: {hours}\n"
    )
    footprints = Footprints(load_carbon_catalog(profiles_file=profile))
    at_10 = _footprint_at(footprints, START)  # 10:00 UTC: 200 g/kWh
    at_20 = _footprint_at(footprints, START + timedelta(hours=10))  # 20:00 UTC: 300 g/kWh
    assert at_10.memory_ug * 3 == pytest.approx(at_20.memory_ug * 2, abs=3)
    assert at_10.memory_uwh == at_20.memory_uwh  # energy does not depend on the grid


def test_without_a_profile_every_window_of_a_shape_gets_the_annual_figures(
    coefficients: CarbonCoefficients,
) -> None:
    footprints = Footprints(coefficients)
    first = _footprint_at(footprints, START)
    for later in (timedelta(minutes=1), timedelta(hours=13), timedelta(days=40)):
        assert _footprint_at(Footprints(coefficients), START + later) == first
        assert _footprint_at(footprints, START + later) == first
