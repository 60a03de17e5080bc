"""Carbon data files: coverage of the pricing catalog, derived values, one-line file errors."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from statistics import median

import pytest
from ruamel.yaml import YAML

from kubeopt_common.events import Provider
from kubeopt_costing.carbon_catalog import (
    PACKAGED_CARBON_DATA,
    CarbonCatalogError,
    load_carbon_catalog,
)
from kubeopt_costing.catalog import load_catalog
from kubeopt_costing.domain.carbon import CarbonFlag, family_keys, intensity

CLOUDS = (Provider.AWS, Provider.GCP, Provider.AZURE)
# Families a price exists for but that CCF maps to no host CPU (documented in azure.yaml).
UNMAPPED_CPU = {"bs", "bms", "bls", "ncsv3", "ncast4v3", "ndasrv4", "nvadsa10v5"}


def raw(provider: Provider) -> dict[str, object]:
    data: dict[str, object] = YAML(typ="safe").load(PACKAGED_CARBON_DATA / f"{provider}.yaml")
    return data


def test_every_priced_instance_type_and_region_has_carbon_data() -> None:
    carbon = load_carbon_catalog()
    for provider, catalog in load_catalog().items():
        if provider is Provider.ONPREM:
            continue
        p = carbon.provider(provider)
        for region, instance_type in catalog.instances:
            assert region in p.regions, (provider, region)
            keys = family_keys(provider, instance_type)
            family = next((p.families[k] for k in keys if k in p.families), None)
            assert family is not None, (provider, instance_type)
            assert family.power is not None or keys[0] in UNMAPPED_CPU, instance_type


@pytest.mark.parametrize("provider", CLOUDS)
def test_derived_fallbacks_match_the_tables(provider: Provider) -> None:
    """The fallbacks written in each file are the medians the comments say they are."""
    data = raw(provider)
    families = data["families"]
    regions = data["regions"]
    assert isinstance(families, dict)
    assert isinstance(regions, dict)
    per_vcpu = [
        Decimal(f["embodied_kg"]) / f["largest_vcpus"] for f in families.values() if "gpu" not in f
    ]
    marginals = [
        Decimal(r["marginal_g_per_kwh"]) for r in regions.values() if "marginal_g_per_kwh" in r
    ]
    assert Decimal(str(data["embodied_fallback_kg_per_vcpu"])) == round(median(per_vcpu), 3)
    unknown = data["unknown_region"]
    assert isinstance(unknown, dict)
    assert Decimal(unknown["marginal_g_per_kwh"]) == median(marginals)


def test_every_file_names_its_source_and_date() -> None:
    for path in PACKAGED_CARBON_DATA.glob("*.yaml"):
        data = YAML(typ="safe").load(path)
        assert len(data["source"]) > 40, path
        assert data["as_of"][:2] == "20", path


def copy_data(tmp_path: Path) -> Path:
    directory = tmp_path / "carbon"
    shutil.copytree(PACKAGED_CARBON_DATA, directory)
    return directory


def break_file(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` with ``new``; return the 1-based line that changed."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if new in line)


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "reason"),
    [
        ("aws.yaml", 'pue: "1.135"', 'pue: "0.9"', "pue", "greater than or equal to 1"),
        (
            "aws.yaml",
            "m5: {microarch: skylake,",
            "m5: {microarch: skylak,",
            "families.m5.microarch",
            "'skylak' is not a micro-architecture of method.yaml",
        ),
        (
            "aws.yaml",
            "gpu: nvidia_t4,",
            "gpu: nvidia_t5,",
            "families.g4dn.gpu",
            "'nvidia_t5' is not a GPU",
        ),
        (
            "gcp.yaml",
            'us-east1: {average_g_per_kwh: "434.0"',
            'us-east1: {average_g_per_kwh: ".nan"',
            "regions.us-east1.average_g_per_kwh",
            "",
        ),
        (
            "method.yaml",
            "proxy_of: cascade_lake",
            "proxy_of: graviton2",
            "microarchitectures.ice_lake.proxy_of",
            "is not a measured micro-architecture",
        ),
        (
            "method.yaml",
            'skylake: {min_watts_per_vcpu: "0.65"',
            'skylake: {min_watts_per_vcpu: "9.65"',
            "microarchitectures.skylake",
            "max_watts_per_vcpu is below min_watts_per_vcpu",
        ),
        (
            "method.yaml",
            "proxy_of: nvidia_t4",
            "proxy_of: nvidia_t9",
            "gpus.nvidia_l4.proxy_of",
            "'nvidia_t9' is not a measured GPU",
        ),
        (
            "azure.yaml",
            "largest_vcpus: 104}",
            "largest_vcpus: 0}",
            "families.Esv5.largest_vcpus",
            "greater than 0",
        ),
    ],
)
def test_bad_file_gives_one_line_naming_file_line_and_field(
    tmp_path: Path, file: str, old: str, new: str, field: str, reason: str
) -> None:
    directory = copy_data(tmp_path)
    line = break_file(directory / file, old, new)
    with pytest.raises(CarbonCatalogError) as err:
        load_carbon_catalog(directory)
    message = str(err.value)
    assert message.startswith(f"{directory / file}:{line}: {field}: ")
    assert reason in message
    assert "\n" not in message


def test_missing_onprem_and_duplicate_provider_are_refused(tmp_path: Path) -> None:
    directory = copy_data(tmp_path)
    (directory / "onprem.yaml").rename(directory / "onprem.yml")
    with pytest.raises(CarbonCatalogError, match="no carbon file for provider onprem"):
        load_carbon_catalog(directory)
    shutil.copy(directory / "aws.yaml", directory / "aws2.yaml")
    (directory / "onprem.yml").rename(directory / "onprem.yaml")
    with pytest.raises(CarbonCatalogError, match=r"aws2.yaml:1: provider: aws is defined twice"):
        load_carbon_catalog(directory)


def test_family_names_must_differ_ignoring_case(tmp_path: Path) -> None:
    directory = copy_data(tmp_path)
    path = directory / "azure.yaml"
    break_file(path, "  Dv5: {", "  DSV5: {")
    line = path.read_text().splitlines().index("families:") + 1
    with pytest.raises(CarbonCatalogError) as err:
        load_carbon_catalog(directory)
    assert str(err.value).startswith(f"{path}:{line}: families: ")
    assert "family names must differ ignoring case: dsv5" in str(err.value)


def profile_text(values: str) -> str:
    return (
        "source: hourly test profile\nas_of: '2026-01-01'\nprofiles:\n  aws:\n"
        f"    us-east-1:\n      average_g_per_kwh: {values}\n"
    )


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (str(list(range(23))), "needs 24 values (hours of the day, UTC) or 168"),
        ("[" + ", ".join(["1"] * 23 + [".nan"]) + "]", "finite number"),
        (str([-1] * 24), "greater than or equal to 0"),
    ],
)
def test_bad_profile_gives_one_line(tmp_path: Path, values: str, reason: str) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(profile_text(values))
    with pytest.raises(CarbonCatalogError) as err:
        load_carbon_catalog(profiles_file=path)
    message = str(err.value)
    assert message.startswith(f"{path}:6: profiles.aws.us-east-1.average_g_per_kwh")
    assert reason in message
    assert "\n" not in message


def test_profile_for_an_unknown_provider_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(profile_text(str([1] * 24)).replace("  aws:", "  ovh:"))
    with pytest.raises(CarbonCatalogError, match=r"profile.yaml:4: profiles.ovh"):
        load_carbon_catalog(profiles_file=path)


def test_a_profile_for_an_unlisted_region_is_not_a_fallback(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(profile_text(str([42] * 24)).replace("us-east-1", "us-east-9"))
    carbon = load_carbon_catalog(profiles_file=path)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    found = intensity(carbon, provider=Provider.AWS, region="us-east-9", at=at)
    assert found.average_g_per_kwh == 42
    assert found.flags == (CarbonFlag.DEFAULT_MARGINAL, CarbonFlag.HOURLY_PROFILE)
