"""Carbon: the packaged catalog, CCF energy, hourly windows, schedule shifts."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeopt_common.yamlfile import YamlFileError
from kubeopt_recommender.carbon_catalog import load_catalog
from kubeopt_recommender.domain.carbon import (
    best_shift,
    kwh_per_hour,
    monthly_grams_saved,
    window_average,
)
from kubeopt_recommender.domain.cron import CronError, parse_hours

GIB = 2**30
# Clean at night (hours 0-5), dirty in the evening (17-21).
PROFILE = [100.0] * 6 + [300.0] * 11 + [600.0] * 5 + [300.0] * 2


def test_packaged_catalog_has_sourced_regions() -> None:
    catalog = load_catalog()
    us = catalog.intensity("aws", "us-east-1")
    assert us.grams_per_kwh == pytest.approx(396.25)
    assert us.source == "gsf-em-2024"
    assert catalog.intensity("gcp", "europe-north1").grams_per_kwh < 50
    unknown = catalog.intensity("aws", "mars-1")
    assert unknown.grams_per_kwh == pytest.approx(392.8)
    assert "unknown" in unknown.source
    assert catalog.as_of == "2026-03-12"
    nearby = [r.region for r in catalog.same_geo("aws", "us-east-1")]
    assert nearby[0] == "ca-central-1"
    assert "eu-north-1" not in nearby


def test_ccf_energy_of_a_vcpu_and_a_gib() -> None:
    aws = load_catalog().coefficients("aws")
    # 1 vCPU at 50 %: 0.74 + 0.5 × (3.5 − 0.74) = 2.12 W; 1 GiB: 0.000392 × 1.0737 kWh/h; × 1.135
    expected = (2.12 / 1000 + 0.000392 * GIB / 1e9) * 1.135
    assert kwh_per_hour(1000, GIB, aws) == pytest.approx(expected)


def test_smaller_requests_save_carbon_at_the_regions_intensity() -> None:
    catalog = load_catalog()
    grams = monthly_grams_saved(
        before=(2000, 4 * GIB),
        after=(1000, 2 * GIB),
        replicas=2,
        provider="aws",
        region="us-east-1",
        catalog=catalog,
    )
    per_hour = kwh_per_hour(1000, 2 * GIB, catalog.coefficients("aws")) * 396.25
    assert grams == pytest.approx(per_hour * 2 * 730)


def test_window_average_wraps_and_weights_partial_hours() -> None:
    assert window_average(PROFILE, start_hour=23.0, duration_hours=2.0) == pytest.approx(200.0)
    assert window_average(PROFILE, start_hour=5.5, duration_hours=1.0) == pytest.approx(200.0)
    with pytest.raises(ValueError, match="24 values"):
        window_average([1.0], start_hour=0, duration_hours=1)


def test_best_shift_moves_evening_runs_to_the_night() -> None:
    plan = best_shift(PROFILE, start_hours=[18.0], duration_hours=1.0)
    assert (18 + plan.shift_hours) % 24 in range(6)
    assert plan.current_grams_per_kwh == 600.0
    assert plan.best_grams_per_kwh == 100.0
    assert plan.reduction == pytest.approx(5 / 6)
    assert best_shift(PROFILE, start_hours=[1.0], duration_hours=1.0).shift_hours == 0


def test_cron_hours_and_shift() -> None:
    cron = parse_hours("30 18,20 * * 1-5")
    assert cron.hours == (18, 20)
    assert cron.start_hours == [18.5, 20.5]
    assert cron.shifted(9) == "30 3,5 * * 1-5"
    assert parse_hours("@daily").hours == (0,)
    assert parse_hours("0 */6 * * *").hours == (0, 6, 12, 18)
    assert parse_hours("*/15 * * * *").every_hour


@pytest.mark.parametrize(
    ("schedule", "message"),
    [("0 25 * * *", "hour field"), ("0 * *", "5 fields"), ("x 1 * * *", "minute field")],
)
def test_bad_schedules_name_the_field(schedule: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        parse_hours(schedule)


def test_hourly_profiles_file(tmp_path: Path) -> None:
    good = tmp_path / "hourly.yaml"
    good.write_text(
        "source: test\nprofiles:\n  aws:\n    us-east-1: [" + ", ".join(["100"] * 24) + "]\n"
    )
    assert load_catalog(good).hourly_profile("aws", "us-east-1") == tuple([100.0] * 24)
    short = tmp_path / "short.yaml"
    short.write_text("source: test\nprofiles:\n  aws:\n    us-east-1: [1, 2]\n")
    with pytest.raises(ValueError, match=r"profiles\.aws\.us-east-1: needs 24"):
        load_catalog(short)
    unsourced = tmp_path / "unsourced.yaml"
    unsourced.write_text("profiles: {}\n")
    with pytest.raises(YamlFileError, match="source"):
        load_catalog(unsourced)
