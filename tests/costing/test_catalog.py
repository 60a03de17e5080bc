from __future__ import annotations

import re
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from kubeopt_common.events import CapacityType, Provider
from kubeopt_common.yamlfile import load_yaml_model
from kubeopt_costing.catalog import PACKAGED_CATALOG, CatalogFile, load_catalog
from kubeopt_costing.custom_prices import load_custom_prices, load_overrides
from kubeopt_costing.domain.pricing import PriceCategory, ProviderCatalog
from kubeopt_costing.price_files import CatalogError

CLOUDS = (Provider.AWS, Provider.GCP, Provider.AZURE)
# The families the catalog promises, by provider: x86, Arm and GPU types at the base region.
PROMISED = {
    Provider.AWS: (
        "m5.xlarge m6i.xlarge m7i.xlarge m6g.xlarge m7g.xlarge c5.xlarge c6i.xlarge c6g.xlarge "
        "c7g.xlarge r5.xlarge r6i.xlarge r6g.xlarge t3.large t4g.large m5.large m5.4xlarge "
        "g4dn.xlarge g5.xlarge p3.2xlarge"
    ),
    Provider.GCP: (
        "e2-standard-4 n2-standard-4 n2d-standard-4 c2-standard-4 c3-standard-4 t2a-standard-4 "
        "c4a-standard-4 n1-standard-4 g2-standard-4 a2-highgpu-1g"
    ),
    Provider.AZURE: (
        "Standard_D4s_v5 Standard_D4as_v5 Standard_D4ps_v5 Standard_E4s_v5 Standard_F4s_v2 "
        "Standard_E4ps_v5 Standard_NC4as_T4_v3 Standard_NV36ads_A10_v5"
    ),
}
ARM = {
    Provider.AWS: re.compile(r"^(m6g|m7g|c6g|c7g|r6g|t4g)\."),
    Provider.GCP: re.compile(r"^(t2a|c4a)-"),
    Provider.AZURE: re.compile(r"^Standard_[DE]\d+ps_v5$"),
}


@pytest.fixture(scope="module")
def catalogs() -> dict[Provider, ProviderCatalog]:
    return load_catalog()


def regions_of(catalog: ProviderCatalog) -> set[str]:
    return {region for region, _ in catalog.instances}


def test_packaged_catalog_covers_the_three_clouds_and_onprem(
    catalogs: dict[Provider, ProviderCatalog],
) -> None:
    assert set(catalogs) == {Provider.AWS, Provider.GCP, Provider.AZURE, Provider.ONPREM}
    aws = catalogs[Provider.AWS].instances
    assert aws["us-east-1", "m5.xlarge"].on_demand_nano_usd_per_hour == 192_000_000


@pytest.mark.parametrize("path", sorted(PACKAGED_CATALOG.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_data_file_names_its_source_and_date(path: Path) -> None:
    parsed = load_yaml_model(path, CatalogFile)
    assert parsed.provider.value == path.stem
    assert "custom price file" in parsed.source
    assert date.fromisoformat(parsed.as_of) <= date(2027, 1, 1)


@pytest.mark.parametrize("provider", CLOUDS)
def test_each_cloud_has_six_regions_with_the_promised_types(
    catalogs: dict[Provider, ProviderCatalog], provider: Provider
) -> None:
    catalog = catalogs[provider]
    regions = regions_of(catalog)
    assert len(regions) >= 6
    base_types = {t for r, t in catalog.instances if r == catalog.base_region}
    assert set(PROMISED[provider].split()) <= base_types
    for region in regions:
        types = {t for r, t in catalog.instances if r == region}
        assert base_types <= types, f"{region} lacks types of the base region"
        assert any(ARM[provider].match(t) for t in types), f"no Arm type in {region}"
        gpus = [t for t in types if catalog.instances[region, t].gpu_count > 0]
        assert gpus, f"no GPU type in {region}"


def test_spot_is_below_on_demand_wherever_spot_is_listed(
    catalogs: dict[Provider, ProviderCatalog],
) -> None:
    listed = 0
    for catalog in catalogs.values():
        for price in (*catalog.instances.values(), *catalog.accelerators.values()):
            if price.spot_nano_usd_per_hour is not None:
                listed += 1
                assert 0 < price.spot_nano_usd_per_hour < price.on_demand_nano_usd_per_hour
    assert listed > 1000


@pytest.mark.parametrize("provider", [*CLOUDS, Provider.ONPREM])
def test_storage_lb_and_fee_are_priced_in_every_region(
    catalogs: dict[Provider, ProviderCatalog], provider: Provider
) -> None:
    catalog = catalogs[provider]
    assert catalog.storage is not None
    for region in regions_of(catalog) or {catalog.base_region}:
        price, _ = catalog.storage_price(region, catalog.storage.default_class)
        assert price > 0
        assert region in catalog.load_balancer_nano_usd_per_hour
    expected_fee = 0 if provider is Provider.ONPREM else 100_000_000
    assert catalog.cluster_fee_nano_usd_per_hour == expected_fee


def test_regions_are_derived_by_their_factor_unless_they_list_a_price(
    catalogs: dict[Provider, ProviderCatalog],
) -> None:
    aws = catalogs[Provider.AWS].instances
    # 0.096 × 115/96 is exactly 0.115; 0.1632 × 124/96 = 0.2108.
    assert aws["eu-central-1", "m5.large"].on_demand_nano_usd_per_hour == 115_000_000
    assert aws["ap-northeast-1", "m7g.xlarge"].on_demand_nano_usd_per_hour == 210_800_000
    derived_spot = int(Fraction(65_300_000) * Fraction(124, 96))  # floored
    assert aws["ap-northeast-1", "m7g.xlarge"].spot_nano_usd_per_hour == derived_spot
    # eu-west-1 lists c5.xlarge itself (0.192, not 0.17 × 107/96).
    assert aws["eu-west-1", "c5.xlarge"].on_demand_nano_usd_per_hour == 192_000_000
    assert aws["us-east-1", "g4dn.12xlarge"].gpu_count == 4


def test_split_ratios_per_provider_default_to_opencost(
    catalogs: dict[Provider, ProviderCatalog],
) -> None:
    assert catalogs[Provider.AWS].ratios.cpu_to_ram == Fraction(31611, 4237)
    assert catalogs[Provider.GCP].ratios.gpu_to_ram == Fraction(950000, 4237)
    assert catalogs[Provider.AZURE].ratios.cpu_to_ram == Fraction(39000, 1917)


def replace_in_copy(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of the packaged catalog with one edit; returns the file and the edited line."""
    for source in PACKAGED_CATALOG.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text())
    path = tmp_path / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if new in t)
    return path, line


BAD_CATALOGS = [
    (
        "aws.yaml",
        'm5.large:              {on_demand: "0.096"',
        'm5.large:              {on_demand: "-1"',
        "instances.m5.large.on_demand",
        "greater than or equal to 0",
    ),
    (
        "aws.yaml",
        'm5.large: {on_demand: "0.107", spot: "0.0420"}',
        'm5.large: {on_demand: "0.107", spot: "0.2"}',
        "regions.eu-west-1.prices.m5.large.spot",
        "spot 0.2 must be below on_demand 0.107",
    ),
    (
        "gcp.yaml",
        "default_class: pd-balanced",
        "default_class: pd-extreme",
        "storage.default_class",
        "'pd-extreme' is not one of the classes",
    ),
    (
        "azure.yaml",
        "base_region: eastus",
        "base_region: eastus3",
        "base_region",
        "'eastus3' must be one of the regions",
    ),
    (
        "aws.yaml",
        'compute_factor: "115/96"',
        'compute_factor: "a lot"',
        "regions.eu-central-1.compute_factor",
        "not a valid fraction",
    ),
    (
        "gcp.yaml",
        'e2-standard-2:         {on_demand: "0.067006"',
        'e2-standard-2:         {on_demnd: "0.067006"',
        "instances.e2-standard-2.on_demand",
        "Field required (+1 more)",
    ),
    (
        "aws.yaml",
        "storage_class_names: [gp2-csi, ebs-gp2]",
        "storage_class_names: [gp2-csi, ebs-sc]",
        "storage.classes.gp2.storage_class_names.1",
        "'ebs-sc' already names class 'gp3'",
    ),
    (
        "azure.yaml",
        "default_tier: standard",
        "default_tier: gold",
        "cluster_fee.default_tier",
        "'gold' is not one of the tiers",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "field", "reason"), BAD_CATALOGS)
def test_a_bad_catalog_names_file_line_and_field(
    tmp_path: Path, name: str, old: str, new: str, field: str, reason: str
) -> None:
    path, line = replace_in_copy(tmp_path, name, old, new)
    with pytest.raises(CatalogError) as err:
        load_catalog(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: {field}: ")
    assert reason in message
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


CUSTOM = """\
source: on-prem racks and the 2026 AWS private pricing addendum
overrides:
  - {node_label: {rack: r1, tier: gold}, monthly_usd: "280"}
  - instance_type: dell-r650
    unit_prices: {cpu_per_vcpu_month: "20", ram_per_gib_hour: "0.003", gpu_per_gpu_hour: "0"}
discounts:
  - {cluster: prod, percent: "12.5", applies_to: [compute, storage]}
  - {cluster: "*", percent: 3, applies_to: [compute]}
storage:
  - {storage_class: ceph-rbd, per_gib_month_usd: "0.05"}
load_balancers:
  - {cluster: lab, hourly_usd: "0"}
cluster_fees:
  - {cluster: dev, hourly_usd: "0"}
"""


def test_custom_price_file_in_domain_terms(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(CUSTOM)
    custom = load_custom_prices(path)
    by_label, per_unit = custom.overrides
    assert by_label.node_labels == (("rack", "r1"), ("tier", "gold"))
    assert by_label.hourly_nano_usd == 280_000_000_000 // 730  # month = 730 h, floored
    assert per_unit.unit_prices is not None
    assert per_unit.unit_prices.cpu_nano_usd_per_vcpu_hour == Fraction(20_000_000_000, 730)
    assert per_unit.unit_prices.ram_nano_usd_per_gib_hour == 3_000_000
    prod, everyone = custom.discounts
    assert (prod.cluster, prod.discount_bps) == ("prod", 1250)
    assert prod.applies_to == {PriceCategory.COMPUTE, PriceCategory.STORAGE}
    assert (everyone.cluster, everyone.discount_bps) == ("*", 300)
    assert custom.storage[0].nano_usd_per_gib_month == 50_000_000
    assert custom.load_balancers == {"lab": 0}
    assert custom.cluster_fees == {"dev": 0}


def overrides_line(text: str) -> str:
    return "overrides:\n  - instance_type: x\n" + text


BAD_CUSTOM = [
    (
        "overrides:\n  - {instance: m5.xlarge, hourly_usd: '0.05'}\n",
        2,
        "overrides.0.instance",
        "Extra inputs",
    ),
    (
        overrides_line(
            "    unit_prices: {cpu: '0.03', ram_per_gib_hour: '0.004', gpu_per_gpu_hour: '0'}\n"
        ),
        3,
        "overrides.0.unit_prices.cpu",
        "'cpu' is not a unit price: name resource and unit",
    ),
    (
        overrides_line(
            "    unit_prices:\n      cpu_per_vcpu_hour: '23.08'\n"
            "      ram_per_gib_hour: '0.004'\n      gpu_per_gpu_hour: '0'\n"
        ),
        4,
        "overrides.0.unit_prices.cpu_per_vcpu_hour",
        "a monthly price? use cpu_per_vcpu_month",
    ),
    (
        overrides_line(
            "    unit_prices:\n      cpu_per_vcpu_month: '0.000476'\n"
            "      ram_per_gib_hour: '0.004'\n      gpu_per_gpu_hour: '0'\n"
        ),
        4,
        "overrides.0.unit_prices.cpu_per_vcpu_month",
        "an hourly price? use cpu_per_vcpu_hour",
    ),
    (
        overrides_line(
            "    unit_prices: {cpu_per_vcpu_hour: '0.03', cpu_per_vcpu_month: '20',"
            " ram_per_gib_hour: '0.004', gpu_per_gpu_hour: '0'}\n"
        ),
        3,
        "overrides.0.unit_prices.cpu_per_vcpu_hour",
        "give exactly one of cpu_per_vcpu_hour and cpu_per_vcpu_month",
    ),
    (
        overrides_line("    unit_prices: {cpu_per_vcpu_hour: '0.03', ram_per_gib_hour: '0.004'}\n"),
        3,
        "overrides.0.unit_prices.gpu_per_gpu_month",
        "give exactly one of gpu_per_gpu_hour and gpu_per_gpu_month (0 if unused)",
    ),
    (
        "overrides:\n  - {node: n1, hourly_usd: '0.2', monthly_usd: '146'}\n",
        2,
        "overrides.0.monthly_usd",
        "give exactly one of hourly_usd, monthly_usd or unit_prices",
    ),
    (
        "overrides:\n  - {node: n1, hourly_usd: '0.2'}\n  - {node: n1, hourly_usd: '0.3'}\n",
        3,
        "overrides.1",
        "matches the same nodes as overrides.0",
    ),
    (
        "discounts:\n  - {cluster: prod, percent: 12.345, applies_to: [compute]}\n",
        2,
        "discounts.0.percent",
        "no more than 2 decimal places",
    ),
    (
        "discounts:\n  - {cluster: prod, percent: 5, applies_to: [compute]}\n"
        "  - cluster: prod\n    percent: 7\n    applies_to: [storage, compute]\n",
        5,
        "discounts.1.applies_to",
        "cluster 'prod' already has a compute discount in discounts.0",
    ),
    (
        "discounts:\n  - {cluster: prod, percent: 5, applies_to: [gpu]}\n",
        2,
        "discounts.0.applies_to.0",
        "Input should be 'compute'",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "reason"), BAD_CUSTOM)
def test_a_bad_custom_price_file_names_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, reason: str
) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    with pytest.raises(CatalogError) as err:
        load_custom_prices(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: {field}: ")
    assert reason in message
    assert "\n" not in message
