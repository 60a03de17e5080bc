"""Carbon by the CCF method: the worked example, fallbacks, profiles and the exact split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeopt_common.events import Provider
from kubeopt_costing.carbon_catalog import load_carbon_catalog
from kubeopt_costing.domain.carbon import (
    CarbonCoefficients,
    CarbonFlag,
    NodeCarbon,
    family_keys,
    intensity,
    network_carbon_ug,
    node_carbon,
    split_node_carbon,
)
from tests.builders import make_node

GIB = 1024**3
HOUR = 3600
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday
CATALOG = load_carbon_catalog()
F = CarbonFlag


def carbon_of(
    instance_type: str = "m5.xlarge",
    *,
    provider: Provider = Provider.AWS,
    region: str = "us-east-1",
    cpu: int = 4000,
    memory_gib: int = 16,
    usage: int | None = 2000,
    gpus: int = 0,
    gpu_utilisation: float | None = None,
    labels: dict[str, str] | None = None,
    start: datetime = T0,
    seconds: int = HOUR,
    coefficients: CarbonCoefficients = CATALOG,
) -> NodeCarbon:
    node = make_node(
        instance_type=instance_type,
        cpu_capacity_millicores=cpu,
        memory_capacity_bytes=memory_gib * GIB,
        gpu_count=gpus,
        labels=labels or {},
    )
    return node_carbon(
        coefficients,
        provider=provider,
        region=region,
        node=node,
        window_start=start,
        window_seconds=seconds,
        cpu_usage_millicores=usage,
        gpu_utilisation=gpu_utilisation,
    )


def grams(micrograms: int) -> float:
    return round(micrograms / 1_000_000, 2)


# --------------------------------------------------------------------- anchor §1.5 worked example
def test_worked_example_m5_xlarge_in_us_east_1_at_half_load() -> None:
    c = carbon_of()
    assert c.flags == ()
    # 0.65 + 0.5 × (4.26 − 0.65) = 2.455 W per vCPU → 9.82 W for 4 vCPUs → 9.82 Wh in an hour.
    assert c.compute_uwh == 9_820_000
    assert (c.pue, c.intensity_g_per_kwh) == (Decimal("1.135"), Decimal("379.069"))
    # 0.00982 kWh × 1.135 × 379.069 g/kWh = 4.2249893 g → 4.22 g/h, 3.08 kg per 730-h month.
    assert c.compute_ug == int(Decimal("9.82") * Decimal("1.135") * Decimal("379.069") * 1000)
    assert grams(c.compute_ug) == 4.22
    assert round(c.compute_ug * 730 / 1e9, 2) == 3.08
    # 1,610.79 kg × 4/96 ÷ 35,040 h = 1.9154 g/h → 1.92 g/h, 1.40 kg per month.
    assert c.embodied_ug == int(Decimal("1610.79") * 4 / 96 / 35040 * 10**9)
    assert grams(c.embodied_ug) == 1.92
    assert round(c.embodied_ug * 730 / 1e9, 2) == 1.40
    # Memory is on top of the anchor's compute-only figure: 16 GiB × 0.392 W = 6.272 W.
    assert c.memory_uwh == 6_272_000
    assert c.memory_ug == int(Decimal("6.272") * Decimal("1.135") * Decimal("379.069") * 1000)
    # Marginal kept apart: 557.17 g/kWh (WattTime annual) on the same energy.
    assert c.marginal_intensity_g_per_kwh == Decimal("557.170")
    assert c.compute_marginal_ug == int(Decimal("9.82") * Decimal("1.135") * 557170)


@pytest.mark.parametrize(("region", "grams_per_hour"), [("eu-north-1", 0.10), ("ap-south-1", 7.89)])
def test_worked_example_in_other_regions(region: str, grams_per_hour: float) -> None:
    assert grams(carbon_of(region=region).compute_ug) == grams_per_hour


def test_one_terabyte_across_regions_is_430_grams_from_us_east_1() -> None:
    # 1,000 GB × 0.001 kWh/GB × 1.135 × 379.069 g/kWh = 430.24 g
    ug = network_carbon_ug(
        CATALOG, provider=Provider.AWS, region="us-east-1", bytes_sent=1000 * GIB
    )
    assert ug == int(Decimal("1.135") * Decimal("379.069") * 10**6)
    assert grams(ug) == 430.24
    marginal = network_carbon_ug(
        CATALOG, provider=Provider.AWS, region="us-east-1", bytes_sent=1000 * GIB, marginal=True
    )
    assert marginal == int(Decimal("1.135") * Decimal("557.17") * 10**6)


# ----------------------------------------------------------------------------- utilisation, GPUs
def test_utilisation_is_clamped_and_defaults_to_half_flagged() -> None:
    assert carbon_of(usage=0).compute_uwh == 4 * 650_000  # idle: 0.65 W per vCPU
    assert carbon_of(usage=9000).compute_uwh == 4 * 4_260_000  # over capacity → 100 %
    unknown = carbon_of(usage=None)
    assert unknown.compute_uwh == 9_820_000
    assert unknown.flags == (F.DEFAULT_CPU_UTILISATION,)


def test_gpu_power_from_the_family_model() -> None:
    # g4dn.xlarge: 1 × T4, 8 W idle, 71 W max → 8 + 0.25 × 63 = 23.75 W.
    c = carbon_of("g4dn.xlarge", gpus=1, gpu_utilisation=0.25)
    assert c.gpu_uwh == 23_750_000
    assert c.flags == ()
    assert c.gpu_ug == int(Decimal("23.75") * Decimal("1.135") * Decimal("379.069") * 1000)
    halfway = carbon_of("g4dn.xlarge", gpus=1)
    assert halfway.gpu_uwh == 39_500_000
    assert halfway.flags == (F.DEFAULT_GPU_UTILISATION,)


def test_gpu_model_from_labels_else_median_fallback_flagged() -> None:
    a100 = {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"}
    c = carbon_of("x1.big", gpus=2, gpu_utilisation=1.0, labels=a100)
    assert c.gpu_uwh == 2 * 407_000_000
    assert F.DEFAULT_GPU_MODEL not in c.flags
    l4 = {"cloud.google.com/gke-accelerator": "nvidia-l4"}
    proxy = carbon_of("x1.big", gpus=1, gpu_utilisation=0.0, labels=l4)
    assert proxy.gpu_uwh == 8_000_000  # L4 borrows the T4's watts
    assert F.PROXY_GPU_MODEL in proxy.flags
    h100 = {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    unknown = carbon_of("x1.big", gpus=1, gpu_utilisation=0.0, labels=h100)
    assert unknown.gpu_uwh == 28_500_000  # median idle watts of the CCF GPU table
    assert F.DEFAULT_GPU_MODEL in unknown.flags


# --------------------------------------------------------------------------------- fallbacks
def test_unknown_instance_type_uses_provider_averages_and_is_flagged() -> None:
    c = carbon_of("zz9.huge")
    # AWS average 0.74 + 0.5 × (3.5 − 0.74) = 2.12 W per vCPU; 16.779 kg per vCPU embodied.
    assert c.compute_uwh == 4 * 2_120_000
    assert c.embodied_ug == int(4 * Decimal("16.779") / 35040 * 10**9)
    assert set(c.flags) == {F.DEFAULT_MICROARCH, F.DEFAULT_EMBODIED}


def test_proxies_are_flagged() -> None:
    m7i = carbon_of("m7i.xlarge")  # Sapphire Rapids → Cascade Lake watts; m6i server embodied
    assert m7i.compute_uwh == 4 * (640_000 + (3_970_000 - 640_000) // 2)
    assert set(m7i.flags) == {F.PROXY_MICROARCH, F.PROXY_EMBODIED}
    assert carbon_of("m6g.xlarge").flags == (F.PROXY_MICROARCH,)  # Graviton2 = EPYC 2nd gen


def test_group_of_microarchitectures_is_averaged() -> None:
    # c5: Cascade Lake and Skylake → (0.645, 4.115) W per vCPU; idle 4 vCPUs = 2.58 W.
    assert carbon_of("c5.xlarge", usage=0).compute_uwh == 2_580_000
    # n1 mixes Sandy and Ivy Bridge in: CCF takes the median, (1.00, 4.74) W per vCPU (Haswell).
    n1 = carbon_of("n1-standard-4", provider=Provider.GCP, region="us-central1", usage=4000)
    assert n1.compute_uwh == 4 * 4_740_000


def test_embodied_share_never_exceeds_the_whole_server() -> None:
    whole = carbon_of("m5.24xlarge", cpu=96_000, memory_gib=384)
    bigger = carbon_of("m5.metal-ish", cpu=200_000, memory_gib=384)  # same family, 200 vCPUs
    assert whole.embodied_ug == bigger.embodied_ug == int(Decimal("1610.79") / 35040 * 10**9)


def test_unknown_region_falls_back_and_is_flagged() -> None:
    c = carbon_of(region="mars-north-1")
    assert (c.intensity_g_per_kwh, c.marginal_intensity_g_per_kwh) == (
        Decimal("392.800"),
        Decimal("549.890"),
    )
    assert set(c.flags) == {F.DEFAULT_REGION, F.DEFAULT_MARGINAL}
    norway = intensity(CATALOG, provider=Provider.AZURE, region="norwayeast", at=T0)
    assert (norway.average_g_per_kwh, norway.flags) == (Decimal("7.6"), (F.DEFAULT_MARGINAL,))


def test_gcp_regional_pue_and_onprem_fallback() -> None:
    assert carbon_of("n2-standard-4", provider=Provider.GCP, region="europe-west4").pue == Decimal(
        "1.07"
    )
    assert carbon_of("n2-standard-4", provider=Provider.GCP, region="us-west1").pue == Decimal(
        "1.1"
    )
    onprem = carbon_of("r740", provider=Provider.ONPREM, region="dc1")
    assert onprem.pue == Decimal("1.58")
    assert {F.DEFAULT_MICROARCH, F.DEFAULT_REGION} <= set(onprem.flags)


@pytest.mark.parametrize(
    ("provider", "instance_type", "keys"),
    [
        (Provider.AWS, "m6i.2xlarge", ("m6i",)),
        (Provider.GCP, "n2-highmem-8", ("n2-highmem", "n2")),
        (Provider.GCP, "e2-medium", ("e2-medium", "e2")),
        (Provider.AZURE, "Standard_D4s_v5", ("dsv5",)),
        (Provider.AZURE, "Standard_D4as_v5", ("dasv5",)),
        (Provider.AZURE, "Standard_DS2_v2", ("dsv2",)),
        (Provider.AZURE, "Standard_E4-2s_v5", ("esv5",)),
        (Provider.AZURE, "Standard_NC4as_T4_v3", ("ncast4v3",)),
        (Provider.AZURE, "Standard_NC24ads_A100_v4", ("ncadsa100v4",)),
        (Provider.ONPREM, "Dell-R740", ("dell-r740",)),
    ],
)
def test_family_keys(provider: Provider, instance_type: str, keys: tuple[str, ...]) -> None:
    assert family_keys(provider, instance_type) == keys


# ----------------------------------------------------------------------------- hourly profiles
def write_profile(path: Path, values: list[int], *, marginal: list[int] | None = None) -> Path:
    lines = ["source: test profile, by hour", 'as_of: "2026-01-01"', "profiles:", "  aws:"]
    lines += ["    us-east-1:", f"      average_g_per_kwh: {values}"]
    if marginal is not None:
        lines.append(f"      marginal_g_per_kwh: {marginal}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_hour_of_day_profile_changes_intensity_by_hour(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "p.yaml", [100 + 10 * h for h in range(24)])
    coefficients = load_carbon_catalog(profiles_file=profile)
    at_3 = intensity(
        coefficients, provider=Provider.AWS, region="us-east-1", at=T0 + timedelta(hours=3)
    )
    at_15 = intensity(
        coefficients,
        provider=Provider.AWS,
        region="us-east-1",
        at=datetime(2026, 11, 2, 16, 30, tzinfo=timezone(timedelta(hours=1))),  # 15:30 UTC
    )
    assert (at_3.average_g_per_kwh, at_15.average_g_per_kwh) == (Decimal(130), Decimal(250))
    assert at_3.marginal_g_per_kwh == Decimal("557.17")  # no marginal profile: annual value
    assert at_3.flags == (F.HOURLY_PROFILE,)
    # A window across 02:30-03:30 UTC weighs 120 and 130 half and half.
    c = carbon_of(coefficients=coefficients, start=T0 + timedelta(hours=2, minutes=30))
    assert c.intensity_g_per_kwh == Decimal("125.000")
    assert c.compute_ug == int(Decimal("9.82") * Decimal("1.135") * 125 * 1000)
    assert F.HOURLY_PROFILE in c.flags
    annual = intensity(CATALOG, provider=Provider.AWS, region="us-east-1", at=T0)
    assert annual.average_g_per_kwh == Decimal("379.069")


def test_hour_of_week_profile_distinguishes_days(tmp_path: Path) -> None:
    week = list(range(168))
    profile = write_profile(tmp_path / "p.yaml", week, marginal=[1000 - h for h in week])
    coefficients = load_carbon_catalog(profiles_file=profile)
    monday = intensity(coefficients, provider=Provider.AWS, region="us-east-1", at=T0)
    sunday = intensity(
        coefficients, provider=Provider.AWS, region="us-east-1", at=T0 + timedelta(days=6, hours=23)
    )
    assert (monday.average_g_per_kwh, monday.marginal_g_per_kwh) == (Decimal(0), Decimal(1000))
    assert (sunday.average_g_per_kwh, sunday.marginal_g_per_kwh) == (Decimal(167), Decimal(833))
    hour = network_carbon_ug(
        coefficients, provider=Provider.AWS, region="us-east-1", bytes_sent=GIB, at=T0
    )
    assert hour == 0


# ------------------------------------------------------------------------------ the exact split
@settings(max_examples=200, deadline=None)
@given(
    cpu=st.integers(1000, 192_000),
    memory_gib=st.integers(1, 1024),
    usage=st.none() | st.integers(0, 250_000),
    gpus=st.integers(0, 8),
    seconds=st.integers(1, 7 * 24 * HOUR),
    data=st.data(),
)
def test_split_is_exact_and_never_negative(
    cpu: int, memory_gib: int, usage: int | None, gpus: int, seconds: int, data: st.DataObject
) -> None:
    instance_type = data.draw(
        st.sampled_from(["m5.xlarge", "g4dn.xlarge", "zz9.huge", "c7g.large"])
    )
    region = data.draw(st.sampled_from(["us-east-1", "eu-north-1", "nowhere-1"]))
    c = carbon_of(
        instance_type,
        region=region,
        cpu=cpu,
        memory_gib=memory_gib,
        usage=usage,
        gpus=gpus,
        seconds=seconds,
        gpu_utilisation=data.draw(st.none() | st.floats(0, 1)),
    )
    n = data.draw(st.integers(0, 40))
    bases = st.lists(st.integers(0, 3 * cpu), min_size=n, max_size=n)
    cpu_bases, gpu_bases = (
        data.draw(bases),
        data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)),
    )
    memory_bases = data.draw(st.lists(st.integers(0, 2 * memory_gib * GIB), min_size=n, max_size=n))
    for marginal, total in ((False, c.total_ug), (True, c.marginal_operational_ug + c.embodied_ug)):
        shares, idle = split_node_carbon(
            c,
            cpu_bases=cpu_bases,
            cpu_capacity=cpu,
            memory_bases=memory_bases,
            memory_capacity=memory_gib * GIB,
            gpu_bases=gpu_bases,
            gpu_capacity=gpus,
            marginal=marginal,
        )
        assert sum(shares) + idle == total
        assert idle >= 0
        assert all(share >= 0 for share in shares)


def test_packed_node_pods_sum_to_energy_times_intensity_within_one_percent() -> None:
    """The issue's check: Σ pod carbon ≈ node energy × PUE × intensity (+ embodied)."""
    c = carbon_of(seconds=300, usage=3100)
    shares, idle = split_node_carbon(
        c,
        cpu_bases=[1000, 2000, 1000],
        cpu_capacity=4000,
        memory_bases=[4 * GIB, 8 * GIB, 4 * GIB],
        memory_capacity=16 * GIB,
    )
    kwh = Decimal(c.compute_uwh + c.memory_uwh) / 10**9
    by_hand = kwh * Decimal("1.135") * Decimal("379.069") * 10**6 + c.embodied_ug
    assert abs(sum(shares) - by_hand) <= by_hand / 100
    assert sum(shares) + idle == c.total_ug
    assert idle <= 4  # flooring crumbs only: the node is fully requested


def test_split_shares_compute_by_cpu_and_memory_by_memory() -> None:
    c = carbon_of()
    shares, idle = split_node_carbon(
        c,
        cpu_bases=[4000, 0],
        cpu_capacity=4000,
        memory_bases=[0, 16 * GIB],
        memory_capacity=16 * GIB,
    )
    assert shares == [c.compute_ug + c.embodied_ug, c.memory_ug]
    assert idle == 0
    nothing, all_idle = split_node_carbon(
        c, cpu_bases=[], cpu_capacity=4000, memory_bases=[], memory_capacity=16 * GIB
    )
    assert (nothing, all_idle) == ([], c.total_ug)


# --------------------------------------------------------------------------------- bad input
def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        carbon_of(start=datetime(2026, 1, 1))  # noqa: DTZ001 - the naive datetime under test
    with pytest.raises(ValueError, match="window_seconds"):
        carbon_of(seconds=0)
    with pytest.raises(ValueError, match="cpu_usage_millicores"):
        carbon_of(usage=-1)
    with pytest.raises(ValueError, match="gpu_utilisation"):
        carbon_of("g4dn.xlarge", gpus=1, gpu_utilisation=float("nan"))
    with pytest.raises(ValueError, match="bytes_sent"):
        network_carbon_ug(CATALOG, provider=Provider.AWS, region="us-east-1", bytes_sent=-1)
    with pytest.raises(ValueError, match="one entry per container"):
        split_node_carbon(
            carbon_of(), cpu_bases=[1], cpu_capacity=1, memory_bases=[], memory_capacity=1
        )
    with pytest.raises(ValueError, match="negative"):
        split_node_carbon(
            carbon_of(), cpu_bases=[-1], cpu_capacity=1, memory_bases=[1], memory_capacity=1
        )
