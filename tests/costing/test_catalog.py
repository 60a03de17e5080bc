from __future__ import annotations

from pathlib import Path

import pytest

from kubeopt_common.events import CapacityType, Provider
from kubeopt_costing.catalog import PACKAGED_CATALOG, CatalogError, load_catalog, load_overrides


def test_packaged_catalog_covers_the_three_clouds_and_onprem() -> None:
    catalogs = load_catalog()
    assert set(catalogs) == {Provider.AWS, Provider.GCP, Provider.AZURE, Provider.ONPREM}
    assert (
        catalogs[Provider.AWS].instances[("us-east-1", "m5.xlarge")].on_demand_nano_usd_per_hour
        == 192_000_000
    )


def test_catalog_error_names_file_line_and_field(tmp_path: Path) -> None:
    for source in PACKAGED_CATALOG.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text())
    bad = tmp_path / "aws.yaml"
    text = bad.read_text().replace('m5.large: {on_demand: "0.096"', 'm5.large: {on_demand: "-1"', 1)
    bad.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"-1"' in t)
    with pytest.raises(CatalogError) as err:
        load_catalog(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{bad}:{line}: regions.us-east-1.m5.large.on_demand:")
    assert "greater than or equal to 0" in message
    assert "\n" not in message


def test_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "source: negotiated\noverrides:\n"
        "  - {instance_type: m5.xlarge, capacity_type: spot, hourly_usd: '0.05'}\n"
        "  - {node: gpu-1, hourly_usd: '2.5'}\n"
    )
    first, second = load_overrides(path)
    assert (first.hourly_nano_usd, first.capacity_type) == (50_000_000, CapacityType.SPOT)
    assert (second.node, second.hourly_nano_usd) == ("gpu-1", 2_500_000_000)


def test_override_with_unknown_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("overrides:\n  - {instance: m5.xlarge, hourly_usd: '0.05'}\n")
    with pytest.raises(CatalogError, match=r"prices.yaml:2: overrides.0.instance: Extra inputs"):
        load_overrides(path)
