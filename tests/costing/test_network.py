from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeopt_common.events import Endpoint, Flow, Provider
from kubeopt_costing.catalog import load_catalog
from kubeopt_costing.domain.money import usd_to_nano
from kubeopt_costing.domain.network import (
    DEFAULT_PRIVATE_CIDRS,
    GB,
    GIB,
    FlowClass,
    NetworkPrices,
    PricedFlow,
    classify,
    internet_cost_nano_usd,
    parse_cidrs,
    price_flows,
)
from kubeopt_costing.domain.pricing import PriceSource
from kubeopt_costing.network_catalog import PACKAGED_NETWORK_PRICES, load_network_prices
from kubeopt_costing.price_files import CatalogError
from tests.builders import make_endpoint, make_flow

USD = 1_000_000_000  # nano-USD
TB = 1024 * GB  # AWS/Azure price-list tiers: 1 TB = 1024 GB


@pytest.fixture(scope="module")
def prices() -> NetworkPrices:
    return load_network_prices()


def pod(zone: str = "us-east-1a", *, region: str = "us-east-1", **kw: str) -> Endpoint:
    return make_endpoint(zone=zone, region=region, **kw)


def outside(ip: str, *, region: str = "", zone: str = "") -> Endpoint:
    return Endpoint(external=True, ip=ip, region=region, zone=zone)


def flow(src: Endpoint, dst: Endpoint, size: int = GB, *, nat: bool = False) -> Flow:
    return make_flow(src=src, dst=dst, bytes_sent=size, via_nat_gateway=nat)


def batch(
    prices: NetworkPrices,
    flows: list[Flow],
    *,
    provider: Provider = Provider.AWS,
    region: str = "us-east-1",
    month_to_date: int = 0,
) -> tuple[list[PricedFlow], int]:
    return price_flows(
        prices,
        provider=provider,
        region=region,
        flows=flows,
        internet_bytes_month_to_date=month_to_date,
    )


def price_one(prices: NetworkPrices, f: Flow, **kw: Any) -> PricedFlow:
    (priced,), _ = batch(prices, [f], **kw)
    return priced


# ------------------------------------------------------------------------ classification
@pytest.mark.parametrize(
    ("src", "dst", "expected"),
    [
        (pod("us-east-1a"), pod("us-east-1a", node="node-b"), FlowClass.IN_ZONE),
        (pod("", node="n1"), pod("", node="n1"), FlowClass.IN_ZONE),  # same node, no zone label
        (pod("us-east-1a"), pod("us-east-1b"), FlowClass.CROSS_ZONE),
        (pod("", node="n1"), pod("", node="n2"), FlowClass.CROSS_ZONE),  # unknown: never in-zone
        (pod("us-east-1a"), pod("eu-west-1a", region="eu-west-1"), FlowClass.CROSS_REGION),
        (pod(), outside("203.0.113.9"), FlowClass.INTERNET),
        (pod(), outside("not-an-ip"), FlowClass.INTERNET),
        (outside("198.51.100.4"), pod(), FlowClass.INTERNET),  # download
        (pod(), outside("52.95.1.1", region="eu-west-1"), FlowClass.CROSS_REGION),
        (pod(), outside("52.95.1.1", region="us-east-1"), FlowClass.CROSS_ZONE),  # public IP
        (pod(), outside("10.9.0.5", region="eu-west-1"), FlowClass.CROSS_REGION),  # peered VPC
        (pod("us-east-1a"), outside("10.9.0.5", zone="us-east-1a"), FlowClass.IN_ZONE),
        (pod("us-east-1a"), outside("100.64.3.3", zone="us-east-1c"), FlowClass.CROSS_ZONE),
        (pod(), outside("fd12::7"), FlowClass.CROSS_ZONE),  # ULA, zone unknown
    ],
)
def test_classification_by_the_real_endpoints(
    src: Endpoint, dst: Endpoint, expected: FlowClass
) -> None:
    assert classify(flow(src, dst), private_cidrs=DEFAULT_PRIVATE_CIDRS) is expected


def test_ten_slash_eight_is_not_in_zone_unlike_kubecosts_default() -> None:
    # Kubecost ships 10.0.0.0/8 as "in-zone" ("remove if using Multi-AZ"): every VPC-CNI pod
    # IP is in it, so all cross-AZ pod traffic would be free. Zones decide here, not the CIDR.
    a = pod("us-east-1a", ip="10.0.1.5")
    b = pod("us-east-1b", ip="10.0.2.6", node="node-b")
    assert classify(flow(a, b), private_cidrs=DEFAULT_PRIVATE_CIDRS) is FlowClass.CROSS_ZONE
    rds = outside("10.0.3.7")  # a private peer without a zone is not assumed to be in ours
    assert classify(flow(a, rds), private_cidrs=DEFAULT_PRIVATE_CIDRS) is FlowClass.CROSS_ZONE


def test_private_cidrs_are_configurable() -> None:
    f = flow(pod(), outside("203.0.113.9", zone="us-east-1a"))
    assert classify(f, private_cidrs=DEFAULT_PRIVATE_CIDRS) is FlowClass.INTERNET
    on_prem = parse_cidrs(["203.0.113.0/24"])
    assert classify(f, private_cidrs=on_prem) is FlowClass.IN_ZONE
    to_ten = flow(pod(), outside("10.1.1.1"))
    assert classify(to_ten, private_cidrs=on_prem) is FlowClass.INTERNET


def test_an_internal_endpoint_without_region_is_in_the_clusters_region() -> None:
    f = flow(pod("us-east-1a", region=""), pod("eu-west-1a", region="eu-west-1"))
    assert classify(f, region="eu-west-1") is FlowClass.CROSS_ZONE
    assert classify(f, region="us-east-1") is FlowClass.CROSS_REGION


def test_parse_cidrs_names_the_bad_entry() -> None:
    with pytest.raises(ValueError, match=r"private CIDR '10\.0\.0\.1/8'"):
        parse_cidrs(["10.0.0.0/8", "10.0.0.1/8"])


# ------------------------------------------------------------------------------- pricing
def test_in_zone_is_free(prices: NetworkPrices) -> None:
    priced = price_one(prices, flow(pod(), pod(node="node-b"), 50 * GB))
    assert (priced.flow_class, priced.total_nano_usd) == (FlowClass.IN_ZONE, 0)


def test_aws_cross_az_is_billed_on_both_sides_to_the_sender(prices: NetworkPrices) -> None:
    # Reference worked example: 1,000 GB across AZs costs $20 ($0.01 out + $0.01 in);
    # egress-only accounting (Kubecost/OpenCost) reports $10.
    priced = price_one(prices, flow(pod("us-east-1a"), pod("us-east-1b"), 1000 * GB))
    assert priced.transfer_nano_usd == 10 * USD
    assert priced.receiver_side_nano_usd == 10 * USD
    assert priced.total_nano_usd == 20 * USD
    assert (priced.price_source, priced.ingress) == (PriceSource.CATALOG, False)


def test_aws_cross_az_with_an_outside_peer(prices: NetworkPrices) -> None:
    send = price_one(prices, flow(pod("us-east-1a"), outside("10.0.3.7"), 1000 * GB))
    assert (send.transfer_nano_usd, send.receiver_side_nano_usd) == (10 * USD, 0)
    receive = price_one(prices, flow(outside("10.0.3.7"), pod("us-east-1a"), 1000 * GB))
    # The receiving node's side is ours; the row is the receiver's (ingress).
    assert (receive.transfer_nano_usd, receive.receiver_side_nano_usd) == (0, 10 * USD)
    assert receive.ingress


@pytest.mark.parametrize(
    ("provider", "region", "zones", "size", "sender", "receiver"),
    [
        (Provider.GCP, "us-central1", ("us-central1-a", "us-central1-b"), GIB, USD // 100, 0),
        (Provider.AZURE, "eastus", ("eastus-1", "eastus-2"), 100 * GB, 0, 0),
    ],
)
def test_cross_zone_differs_by_provider(
    prices: NetworkPrices,
    provider: Provider,
    region: str,
    zones: tuple[str, str],
    size: int,
    sender: int,
    receiver: int,
) -> None:
    f = flow(pod(zones[0], region=region), pod(zones[1], region=region), size)
    priced = price_one(prices, f, provider=provider, region=region)
    assert (priced.flow_class, priced.transfer_nano_usd) == (FlowClass.CROSS_ZONE, sender)
    assert priced.receiver_side_nano_usd == receiver


@pytest.mark.parametrize(
    ("provider", "src", "dst", "expected", "source"),
    [
        (Provider.AWS, "us-east-1", "us-east-2", USD // 100, PriceSource.CATALOG),  # pair
        (Provider.AWS, "us-east-1", "eu-west-1", USD // 50, PriceSource.CATALOG),
        (Provider.AWS, "ap-southeast-1", "us-east-1", 90_000_000, PriceSource.CATALOG),
        (Provider.AWS, "us-east-1", "xx-moon-1", USD // 50, PriceSource.CATALOG),  # by source
        (Provider.AWS, "me-south-1", "us-east-1", USD // 50, PriceSource.DEFAULT),
        (Provider.GCP, "us-central1", "us-east1", USD // 50, PriceSource.CATALOG),
        (Provider.GCP, "us-central1", "europe-west1", USD // 20, PriceSource.CATALOG),
        (Provider.GCP, "europe-west1", "asia-southeast1", 80_000_000, PriceSource.CATALOG),
        (Provider.GCP, "us-central1", "me-west1", USD // 20, PriceSource.DEFAULT),
        (Provider.AZURE, "westeurope", "southeastasia", USD // 20, PriceSource.CATALOG),
        (Provider.AZURE, "southeastasia", "westeurope", 80_000_000, PriceSource.CATALOG),
    ],
)
def test_cross_region_by_pair_with_a_flagged_default(
    prices: NetworkPrices,
    provider: Provider,
    src: str,
    dst: str,
    expected: int,
    source: PriceSource,
) -> None:
    table = prices.for_provider(provider)
    f = flow(pod("a", region=src), pod("b", region=dst), table.unit_bytes)
    priced = price_one(prices, f, provider=provider, region=src)
    assert priced.flow_class is FlowClass.CROSS_REGION
    assert (priced.transfer_nano_usd, priced.receiver_side_nano_usd) == (expected, 0)
    assert priced.price_source is source


def test_internet_tier_boundary_is_split_exactly(prices: NetworkPrices) -> None:
    priced, month_to_date = batch(
        prices, [flow(pod(), outside("203.0.113.9"), 2 * GB)], month_to_date=99 * GB
    )
    # 1 GB of the free 100 GB, 1 GB at $0.09.
    assert priced[0].transfer_nano_usd == 90_000_000
    assert month_to_date == 101 * GB


@pytest.mark.parametrize(
    ("provider", "region", "volume", "usd"),
    [
        # Reference worked example: 50 TB/month from us-east-1 = $4,394.20 tiered
        # ((10,240 - 100) GB x 0.09 + 40,960 GB x 0.085); flat $0.143 would be $7,322.
        (Provider.AWS, "us-east-1", 50 * TB, "4394.2"),
        (Provider.AWS, "us-east-1", 200 * TB, "14122.2"),  # + 100 TB x 0.07 + 50 TB x 0.05
        (Provider.AWS, "ap-southeast-1", 200 * GB, "12"),
        (Provider.GCP, "us-central1", 2048 * GIB, "235.52"),  # no free tier, per GiB
        (Provider.AZURE, "westeurope", 200 * GB, "8.7"),
        (Provider.AZURE, "japaneast", 200 * GB, "12"),
    ],
)
def test_internet_egress_month_by_provider(
    prices: NetworkPrices, provider: Provider, region: str, volume: int, usd: str
) -> None:
    f = flow(pod(region=region), outside("203.0.113.9"), volume)
    priced = price_one(prices, f, provider=provider, region=region)
    assert priced.flow_class is FlowClass.INTERNET
    assert priced.total_nano_usd == usd_to_nano(Decimal(usd))


def test_internet_in_an_unlisted_region_uses_flagged_default_tiers(prices: NetworkPrices) -> None:
    f = flow(pod(region="me-south-1"), outside("203.0.113.9"), 200 * GB)
    priced = price_one(prices, f, region="me-south-1")
    assert (priced.transfer_nano_usd, priced.price_source) == (9 * USD, PriceSource.DEFAULT)


@settings(max_examples=150, deadline=None)
@given(
    provider=st.sampled_from([Provider.AWS, Provider.GCP, Provider.AZURE]),
    month_to_date=st.integers(0, 200 * TB),
    sizes=st.lists(st.integers(0, 30 * TB), min_size=1, max_size=25),
    cut=st.integers(0, 25),
)
def test_splitting_internet_volume_into_flows_changes_nothing(
    prices: NetworkPrices, provider: Provider, month_to_date: int, sizes: list[int], cut: int
) -> None:
    region = {Provider.AWS: "us-east-1", Provider.GCP: "us-central1"}.get(provider, "eastus")

    def run(chunk: list[int], mtd: int) -> tuple[int, int]:
        flows = [flow(pod(region=region), outside("203.0.113.9"), s) for s in chunk]
        priced, new_mtd = batch(prices, flows, provider=provider, region=region, month_to_date=mtd)
        return sum(p.total_nano_usd for p in priced), new_mtd

    one_flow = run([sum(sizes)], month_to_date)
    first, mtd = run(sizes[:cut], month_to_date)  # two batches carrying the month-to-date
    second, end = run(sizes[cut:], mtd)
    assert (first + second, end) == one_flow
    table = prices.for_provider(provider)
    tiers, _ = table.internet_tiers_for(region)
    cost = [
        internet_cost_nano_usd(tiers, unit_bytes=table.unit_bytes, volume_bytes=v)
        for v in (month_to_date, end)
    ]
    assert one_flow[0] == cost[1] - cost[0]


def test_nat_processing_is_added(prices: NetworkPrices) -> None:
    up = price_one(prices, flow(pod(), outside("203.0.113.9"), GB, nat=True), month_to_date=TB)
    assert (up.transfer_nano_usd, up.nat_nano_usd) == (90_000_000, 45_000_000)
    assert up.total_nano_usd == 135_000_000
    dublin = flow(pod(region="eu-west-1"), outside("203.0.113.9"), GB, nat=True)
    assert (
        price_one(prices, dublin, region="eu-west-1", month_to_date=TB).nat_nano_usd == 48 * 10**6
    )
    gcp = flow(pod(region="us-central1"), outside("203.0.113.9"), GIB, nat=True)
    assert price_one(prices, gcp, provider=Provider.GCP, region="us-central1").nat_nano_usd == (
        45_000_000
    )
    unlisted = price_one(prices, flow(pod(), outside("10.0.0.9"), GB, nat=True), region="xx-1")
    assert unlisted.price_source is PriceSource.DEFAULT


def test_ingress_is_free_but_nat_processing_is_not(prices: NetworkPrices) -> None:
    download = flow(outside("198.51.100.4"), pod(), 10 * GB, nat=True)
    from_region = flow(outside("198.51.100.4", region="eu-west-1"), pod(), GB)
    priced, month_to_date = batch(prices, [download, from_region], month_to_date=5 * GB)
    assert [p.transfer_nano_usd for p in priced] == [0, 0]
    assert (priced[0].nat_nano_usd, priced[1].total_nano_usd) == (450_000_000, 0)
    assert all(p.ingress for p in priced)
    assert month_to_date == 5 * GB  # downloads do not count toward the egress tiers


def test_priced_in_input_order_with_month_to_date(prices: NetworkPrices) -> None:
    flows = [
        flow(pod(), outside("203.0.113.9"), 60 * GB),
        flow(pod("us-east-1a"), pod("us-east-1b"), GB),
        flow(pod(), outside("203.0.113.10"), 60 * GB),
    ]
    priced, month_to_date = batch(prices, flows)
    assert [p.flow_class for p in priced] == [
        FlowClass.INTERNET,
        FlowClass.CROSS_ZONE,
        FlowClass.INTERNET,
    ]
    assert [p.total_nano_usd for p in priced] == [0, 20_000_000, 1_800_000_000]
    assert month_to_date == 120 * GB


def test_bad_arguments_are_refused(prices: NetworkPrices) -> None:
    with pytest.raises(ValueError, match="internet_bytes_month_to_date must be >= 0"):
        batch(prices, [], month_to_date=-1)
    with pytest.raises(ValueError, match="no network prices for provider gcp"):
        NetworkPrices({}).for_provider(Provider.GCP)


# --------------------------------------------------------------------------- price data
def test_packaged_prices_cover_every_region_of_the_node_catalog(prices: NetworkPrices) -> None:
    for provider, catalog in load_catalog().items():
        table = prices.for_provider(provider)
        assert len(table.source) > 10
        assert table.as_of
        for region in {r for r, _ in catalog.instances}:
            assert region in table.internet_tiers, (provider, region)
            assert region in table.nat_by_region, (provider, region)
            assert region in table.geographies, (provider, region)
    units = {p: prices.for_provider(p).unit_bytes for p in Provider}
    assert units == {Provider.AWS: GB, Provider.GCP: GIB, Provider.AZURE: GB, Provider.ONPREM: GB}


def copy_packaged(tmp_path: Path) -> Path:
    for source in PACKAGED_NETWORK_PRICES.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text())
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "field", "at", "reason"),
    [
        (
            'sender_per_unit: "0.01"',
            'sender_per_unit: "-0.01"',
            "cross_zone.sender_per_unit",
            None,
            "greater than or equal to 0",
        ),
        ("billing_unit: GB", "billing_unit: TB", "billing_unit", None, "'GB' or 'GiB'"),
        (
            "us-west-1: us_eu",
            "us-west-1: us_east",
            "internet_egress.regions.us-west-1",
            None,
            "'us_east' is not defined in schedules",
        ),
        (
            '{up_to_units: 51200, per_unit: "0.085"}',
            '{up_to_units: 5120, per_unit: "0.085"}',
            "internet_egress.schedules.us_eu",
            "us_eu:",
            "tier 2: up_to_units must be greater than 10240",
        ),
        (
            '{per_unit: "0.05"}',
            '{up_to_units: 999999, per_unit: "0.05"}',
            "internet_egress.schedules.us_eu",
            "us_eu:",
            "the last tier (4) must be open-ended",
        ),
        (
            'sydney: {"*": "0.098"}',
            'sidney: {"*": "0.098"}',
            "cross_region.rates.sidney",
            None,
            "'sidney' is not defined in geographies",
        ),
        (
            'us-east-1: {us-east-2: "0.01"}',
            'us-east-1: {us-east-1: "0.01"}',
            "cross_region.pairs",
            "pairs:",
            "us-east-1 -> us-east-1: a region is not cross-region to itself",
        ),
        (
            'eu-west-1: "0.048"',
            'eu-west-1: "0.0480000001"',
            "nat_gateway.regions.eu-west-1",
            None,
            "decimal places",
        ),
    ],
)
def test_bad_file_is_one_line_naming_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, at: str | None, reason: str
) -> None:
    bad = copy_packaged(tmp_path) / "aws.yaml"
    text = bad.read_text()
    assert old in text
    lines = text.replace(old, new, 1).splitlines()
    bad.write_text("\n".join(lines))
    line = next(i for i, t in enumerate(lines, 1) if (t.strip() == at if at else new in t))
    with pytest.raises(CatalogError) as err:
        load_network_prices(tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{bad}:{line}: {field}"), message
    assert reason in message, message


def test_missing_or_duplicate_provider_files_are_refused(tmp_path: Path) -> None:
    directory = copy_packaged(tmp_path)
    (directory / "onprem.yaml").unlink()
    with pytest.raises(CatalogError, match=r"no network prices for provider onprem$"):
        load_network_prices(directory)
    (directory / "onprem.yaml").write_text((directory / "aws.yaml").read_text())
    line = next(
        i
        for i, t in enumerate((directory / "onprem.yaml").read_text().splitlines(), 1)
        if t.startswith("provider:")
    )
    with pytest.raises(CatalogError, match=rf"onprem.yaml:{line}: provider: aws is defined twice"):
        load_network_prices(directory)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    bad = copy_packaged(tmp_path) / "gcp.yaml"
    bad.write_text(bad.read_text().replace("billing_unit: GiB", "billing_unit: [GiB", 1))
    with pytest.raises(CatalogError, match=r"gcp\.yaml:\d+: <yaml>: "):
        load_network_prices(tmp_path)
