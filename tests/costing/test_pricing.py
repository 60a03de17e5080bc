from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeopt_common.events import CapacityType, Node, Provider
from kubeopt_costing.catalog import load_catalog, load_price_book
from kubeopt_costing.domain.money import nano_to_usd, usd_to_nano
from kubeopt_costing.domain.price_book import PriceBook
from kubeopt_costing.domain.pricing import (
    HOURS_PER_MONTH,
    CustomUnitPrices,
    Discount,
    InstancePrice,
    NodePrice,
    PriceCategory,
    PriceOverride,
    PriceSource,
    ProviderCatalog,
    SplitRatios,
    StorageOverride,
    UnitPrices,
    apply_discount,
    per_hour_from_per_month,
    split_node_cost,
    storage_cost_nano_usd,
)

GIB = 1024**3
CATALOGS = load_catalog()
AWS, GCP, AZURE, ONPREM = Provider.AWS, Provider.GCP, Provider.AZURE, Provider.ONPREM
COMPUTE, STORAGE = PriceCategory.COMPUTE, PriceCategory.STORAGE


def node(
    instance_type: str = "m5.xlarge",
    *,
    spot: bool = False,
    gpus: int = 0,
    name: str = "n1",
    labels: dict[str, str] | None = None,
    vcpus: int = 4,
    memory_gib: int = 16,
) -> Node:
    return Node(
        name=name,
        instance_type=instance_type,
        cpu_capacity_millicores=vcpus * 1000,
        memory_capacity_bytes=memory_gib * GIB,
        gpu_count=gpus,
        capacity_type=CapacityType.SPOT if spot else CapacityType.ON_DEMAND,
        labels=labels or {},
    )


def book(
    *,
    overrides: Sequence[PriceOverride] = (),
    discounts: Sequence[Discount] = (),
    storage_overrides: Sequence[StorageOverride] = (),
    load_balancer_overrides: Mapping[str, int] | None = None,
    cluster_fee_overrides: Mapping[str, int] | None = None,
) -> PriceBook:
    return PriceBook(
        CATALOGS,
        overrides,
        discounts=discounts,
        storage_overrides=storage_overrides,
        load_balancer_overrides=load_balancer_overrides or {},
        cluster_fee_overrides=cluster_fee_overrides or {},
    )


def price(
    prices: PriceBook, n: Node, *, cluster: str = "c", region: str = "us-east-1"
) -> NodePrice:
    return prices.node_price(cluster=cluster, provider=AWS, region=region, node=n)


def test_catalog_list_price_on_demand_and_spot() -> None:
    prices = load_price_book(catalog_dir=None, overrides_file=None)
    on_demand = price(prices, node())
    spot = price(prices, node(spot=True))
    assert on_demand == NodePrice(192_000_000, PriceSource.CATALOG, 0, CATALOGS[AWS].ratios)
    assert spot.hourly_nano_usd == 75_200_000


def test_node_price_stays_constructible_positionally() -> None:
    legacy = NodePrice(5, PriceSource.DEFAULT)
    assert (legacy.discount_bps, legacy.ratios) == (0, SplitRatios())


def test_unknown_instance_type_is_priced_from_defaults_and_flagged() -> None:
    result = price(book(), node("x9.mystery"))
    assert result.source is PriceSource.DEFAULT
    # 4 vCPU × $0.031611 + 16 GiB × $0.004237 = $0.194236 per hour, never zero.
    assert result.hourly_nano_usd == 194_236_000


def test_unknown_region_uses_the_base_region_list_price_flagged() -> None:
    result = price(book(), node(), region="mars-1")
    assert (result.hourly_nano_usd, result.source) == (192_000_000, PriceSource.DEFAULT)


def test_gpu_types_include_their_gpus_and_attached_gpus_are_added() -> None:
    prices = book()
    g4dn = price(prices, node("g4dn.xlarge", gpus=1))
    assert (g4dn.hourly_nano_usd, g4dn.source) == (526_000_000, PriceSource.CATALOG)

    def gcp_n1(**labels: str) -> NodePrice:
        n1 = node("n1-standard-4", gpus=2, vcpus=4, memory_gib=15, labels=labels)
        return prices.node_price(cluster="c", provider=GCP, region="us-central1", node=n1)

    t4 = gcp_n1(**{"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"})
    assert (t4.hourly_nano_usd, t4.source) == (189_999_000 + 2 * 350_000_000, PriceSource.CATALOG)
    unknown = gcp_n1()  # no accelerator label: the provider's default GPU price, flagged
    assert (unknown.hourly_nano_usd, unknown.source) == (
        189_999_000 + 2 * 950_000_000,
        PriceSource.DEFAULT,
    )


def test_override_precedence_node_name_then_label_then_instance_type() -> None:
    prices = book(
        overrides=[
            PriceOverride(1, instance_type="m5.xlarge"),
            PriceOverride(2, instance_type="m5.xlarge", capacity_type=CapacityType.SPOT),
            PriceOverride(3, node="special"),
            PriceOverride(4, node_labels=(("pool", "gold"),)),
            PriceOverride(5, node_labels=(("pool", "gold"), ("rack", "r1"))),
            PriceOverride(6, node_labels=(("pool", "gold"),), cluster="prod"),
        ]
    )
    gold = {"pool": "gold"}
    cases = [
        (node(), "c", 1),
        (node(spot=True), "c", 2),
        (node(labels=gold), "c", 4),
        (node(labels={**gold, "rack": "r1"}), "c", 5),
        (node(labels=gold), "prod", 6),
        (node(name="special", labels={**gold, "rack": "r1"}), "prod", 3),
    ]
    for n, cluster, expected in cases:
        result = price(prices, n, cluster=cluster)
        assert (result.hourly_nano_usd, result.source) == (expected, PriceSource.OVERRIDE)
    assert price(prices, node("m6i.xlarge")).source is PriceSource.CATALOG
    assert price(prices, node("x9.mystery")).source is PriceSource.DEFAULT


def test_first_listed_override_wins_a_tie() -> None:
    prices = book(
        overrides=[
            PriceOverride(7, node_labels=(("pool", "a"),)),
            PriceOverride(8, node_labels=(("zone", "b"),)),
        ]
    )
    both = node(labels={"pool": "a", "zone": "b"})
    assert price(prices, both).hourly_nano_usd == 7


def test_memo_keeps_nodes_apart_that_differ_only_in_labels() -> None:
    prices = book(overrides=[PriceOverride(9, node_labels=(("pool", "gold"),))])
    plain, gold = node(), node(labels={"pool": "gold"})
    first = price(prices, plain)
    assert price(prices, gold).hourly_nano_usd == 9
    assert price(prices, plain) is first  # served from the memo
    assert first.hourly_nano_usd == 192_000_000


def test_per_unit_override_prices_each_resource_at_its_pinned_price() -> None:
    units = CustomUnitPrices(
        Fraction(20_000_000_000, HOURS_PER_MONTH),  # $20 per vCPU-month
        Fraction(3_000_000),  # $0.003 per GiB-hour
        Fraction(500_000_000),  # $0.50 per GPU-hour
    )
    prices = book(overrides=[PriceOverride(instance_type="dell-r650", unit_prices=units)])
    n = node("dell-r650", vcpus=32, memory_gib=256, gpus=1)
    result = prices.node_price(cluster="c", provider=ONPREM, region="", node=n)
    # 32 × 20e9 / 730 + 256 × 3e6 + 5e8, floored once.
    expected = int(Fraction(32 * 20_000_000_000, 730) + 256 * 3_000_000 + 500_000_000)
    assert (result.hourly_nano_usd, result.source) == (expected, PriceSource.OVERRIDE)
    costs = split_node_cost(result.hourly_nano_usd, n, result.ratios)
    # Each resource gets its pinned cost, give or take the floor of the node total.
    pinned = (Fraction(32 * 20_000_000_000, 730), Fraction(256 * 3_000_000), Fraction(5 * 10**8))
    split = (costs.cpu_nano_usd, costs.ram_nano_usd, costs.gpu_nano_usd)
    assert all(abs(part - exact) < 2 for part, exact in zip(split, pinned, strict=True))


def test_per_unit_prices_need_a_positive_ram_price() -> None:
    with pytest.raises(ValueError, match="RAM price must be positive"):
        CustomUnitPrices(Fraction(1), Fraction(0), Fraction(0))
    with pytest.raises(ValueError, match="either hourly_nano_usd or unit_prices"):
        PriceOverride()


LIST_NANO = st.integers(min_value=0, max_value=10**12)
BPS = st.integers(min_value=0, max_value=9_999)


@given(list_nano=LIST_NANO, bps=BPS, spot=st.booleans())
def test_discounted_node_price_is_the_floored_exact_product(
    list_nano: int, bps: int, spot: bool
) -> None:
    listed = InstancePrice(list_nano + 1, list_nano)
    catalog = ProviderCatalog(ONPREM, UnitPrices(1, 1, 1, 1, 1, 1), {("r", "t"): listed})
    prices = PriceBook({ONPREM: catalog}, discounts=[Discount("prod", bps, frozenset({COMPUTE}))])
    n = node("t", spot=spot)
    result = prices.node_price(cluster="prod", provider=ONPREM, region="r", node=n)
    list_price = list_nano if spot else list_nano + 1
    assert result.hourly_nano_usd == list_price * (10_000 - bps) // 10_000
    assert result.hourly_nano_usd == apply_discount(list_price, bps)
    assert (result.source, result.discount_bps) == (PriceSource.CATALOG, bps)
    other = prices.node_price(cluster="dev", provider=ONPREM, region="r", node=n)
    assert (other.hourly_nano_usd, other.discount_bps) == (list_price, 0)


def test_discounts_per_cluster_and_category_never_compound() -> None:
    prices = book(
        discounts=[
            Discount("prod", 1250, frozenset({COMPUTE, STORAGE})),
            Discount("*", 300, frozenset({COMPUTE})),
        ],
        overrides=[PriceOverride(1_000, node="pinned")],
    )
    assert price(prices, node(), cluster="prod").hourly_nano_usd == 168_000_000  # 192 × 0.875
    assert price(prices, node(), cluster="dev").hourly_nano_usd == 186_240_000  # 192 × 0.97
    defaulted = price(prices, node("x9.mystery"), cluster="prod")
    assert defaulted == NodePrice(
        194_236_000 * 8750 // 10_000, PriceSource.DEFAULT, 1250, CATALOGS[AWS].ratios
    )
    pinned = price(prices, node(name="pinned"), cluster="prod")  # an effective price
    assert (pinned.hourly_nano_usd, pinned.discount_bps) == (1_000, 0)
    assert prices.discount_bps(cluster="dev", category=STORAGE) == 0
    assert prices.discount_bps(cluster="prod", category=PriceCategory.LOAD_BALANCER) == 0


def pv(
    prices: PriceBook,
    storage_class: str,
    *,
    cluster: str = "c",
    provider: Provider = AWS,
    region: str = "us-east-1",
) -> tuple[int, PriceSource]:
    return prices.pv_nano_usd_per_gib_month(
        cluster=cluster, provider=provider, region=region, storage_class=storage_class
    )


def test_pv_prices_by_storage_class_with_a_flagged_default_class() -> None:
    prices = book()
    assert pv(prices, "gp3") == (80_000_000, PriceSource.CATALOG)
    assert pv(prices, "gp2") == (100_000_000, PriceSource.CATALOG)
    assert pv(prices, "ebs-sc") == (80_000_000, PriceSource.CATALOG)  # a StorageClass name
    assert pv(prices, "fast-local") == (80_000_000, PriceSource.DEFAULT)  # unknown: gp3, flagged
    assert pv(prices, "gp3", region="eu-central-1") == (95_200_000, PriceSource.CATALOG)
    assert pv(prices, "gp3", region="mars-1") == (80_000_000, PriceSource.DEFAULT)
    gke = (GCP, "us-central1")
    assert pv(prices, "standard-rwo", provider=gke[0], region=gke[1])[0] == 100_000_000
    assert pv(prices, "premium-rwo", provider=gke[0], region=gke[1])[0] == 170_000_000
    assert pv(prices, "standard", provider=gke[0], region="europe-west3")[0] == 52_000_000
    aks = (AZURE, "eastus")
    assert pv(prices, "managed-csi-premium", provider=aks[0], region=aks[1])[0] == 153_980_000
    assert pv(prices, "managed", provider=aks[0], region=aks[1]) == (
        46_000_000,
        PriceSource.CATALOG,
    )
    assert pv(prices, "ceph", provider=ONPREM, region="") == (40_000_000, PriceSource.DEFAULT)


def test_pv_hourly_is_the_monthly_price_over_730_hours() -> None:
    prices = book()
    for storage_class in ("gp3", "gp2", "io2", "st1", "sc1", "unknown"):
        monthly, source = pv(prices, storage_class)
        hourly = prices.pv_nano_usd_per_gib_hour(
            cluster="c", provider=AWS, region="us-east-1", storage_class=storage_class
        )
        assert hourly == (monthly // 730, source)
        assert 730 * hourly[0] <= monthly < 730 * (hourly[0] + 1)
    assert pv(prices, "gp3")[0] // 730 == 109_589  # $0.08 / 730 h, floored


def test_pv_overrides_and_discounts() -> None:
    prices = book(
        storage_overrides=[
            StorageOverride("ceph-rbd", 50_000_000),
            StorageOverride("ceph-rbd", 30_000_000, cluster="lab"),
        ],
        discounts=[Discount("prod", 1000, frozenset({STORAGE}))],
    )
    assert pv(prices, "ceph-rbd") == (50_000_000, PriceSource.OVERRIDE)
    assert pv(prices, "ceph-rbd", cluster="lab") == (30_000_000, PriceSource.OVERRIDE)
    assert pv(prices, "ceph-rbd", cluster="prod") == (50_000_000, PriceSource.OVERRIDE)
    assert pv(prices, "gp3", cluster="prod") == (72_000_000, PriceSource.CATALOG)
    hourly = prices.pv_nano_usd_per_gib_hour(
        cluster="prod", provider=AWS, region="us-east-1", storage_class="gp3"
    )
    assert hourly == (apply_discount(80_000_000 // 730, 1000), PriceSource.CATALOG)


@given(
    month_nano=st.integers(min_value=0, max_value=10**12),
    gib=st.integers(min_value=0, max_value=10**5),
)
def test_a_730_hour_month_converts_exactly(month_nano: int, gib: int) -> None:
    assert per_hour_from_per_month(month_nano * HOURS_PER_MONTH) == month_nano
    month_seconds = HOURS_PER_MONTH * 3600
    cost = storage_cost_nano_usd(
        nano_usd_per_gib_month=month_nano, size_bytes=gib * GIB, seconds=month_seconds
    )
    assert cost == month_nano * gib
    hour = storage_cost_nano_usd(nano_usd_per_gib_month=month_nano, size_bytes=GIB, seconds=3600)
    assert hour == per_hour_from_per_month(month_nano)


def test_load_balancer_and_cluster_fee() -> None:
    prices = book(
        load_balancer_overrides={"lab": 0},
        cluster_fee_overrides={"dev": 0},
        discounts=[
            Discount("prod", 2000, frozenset({PriceCategory.LOAD_BALANCER})),
            Discount("prod", 1000, frozenset({PriceCategory.CLUSTER_FEE})),
        ],
    )

    def lb(provider: Provider, region: str, cluster: str = "c") -> int:
        return prices.lb_nano_usd_per_hour(cluster=cluster, provider=provider, region=region)

    def fee(provider: Provider, cluster: str = "c") -> int:
        return prices.cluster_fee_nano_usd_per_hour(cluster=cluster, provider=provider)

    assert lb(AWS, "us-east-1") == 22_500_000
    assert lb(AWS, "eu-central-1") == 27_000_000
    assert lb(AWS, "mars-1") == 22_500_000
    assert lb(GCP, "us-central1") == lb(AZURE, "eastus") == 25_000_000
    assert lb(ONPREM, "") == 0
    assert lb(AWS, "us-east-1", cluster="lab") == 0
    assert lb(AWS, "us-east-1", cluster="prod") == 18_000_000
    assert fee(AWS) == fee(GCP) == fee(AZURE) == 100_000_000
    assert fee(ONPREM) == 0
    assert fee(AZURE, cluster="dev") == 0
    assert fee(AWS, cluster="prod") == 90_000_000


def test_each_node_price_carries_its_providers_split() -> None:
    prices = book()
    d4s = node("Standard_D4s_v5")
    azure = prices.node_price(cluster="c", provider=AZURE, region="eastus", node=d4s)
    assert azure.ratios.cpu_to_ram == Fraction(39000, 1917)
    costs = split_node_cost(azure.hourly_nano_usd, d4s, azure.ratios)
    weight_cpu = 4 * Fraction(39000, 1917)
    assert costs.cpu_nano_usd == int(192_000_000 * weight_cpu / (weight_cpu + 16))


def test_split_follows_opencost_ratio() -> None:
    costs = split_node_cost(192_000_000, node(), SplitRatios())
    weight_cpu = 4 * Fraction(31611, 4237)
    assert costs.cpu_nano_usd == int(192_000_000 * weight_cpu / (weight_cpu + 16))
    assert costs.total_nano_usd == 192_000_000


@given(cost=st.integers(0, 10**13), gpus=st.integers(0, 8))
def test_split_parts_sum_to_the_whole(cost: int, gpus: int) -> None:
    costs = split_node_cost(cost, node(gpus=gpus), SplitRatios())
    assert costs.total_nano_usd == cost
    assert min(costs.cpu_nano_usd, costs.ram_nano_usd, costs.gpu_nano_usd) >= 0
    if gpus == 0:
        assert costs.gpu_nano_usd == 0


def test_money_round_trip_is_exact() -> None:
    assert usd_to_nano(Decimal("0.192")) == 192_000_000
    assert nano_to_usd(192_000_001) == Decimal("0.192000001")
    with pytest.raises(ValueError, match="precision"):
        usd_to_nano(Decimal("0.0000000001"))
