from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeopt_common.events import CapacityType, Node, Provider
from kubeopt_costing.catalog import load_price_book
from kubeopt_costing.domain.money import nano_to_usd, usd_to_nano
from kubeopt_costing.domain.pricing import PriceOverride, PriceSource, SplitRatios, split_node_cost

GIB = 1024**3


def node(
    instance_type: str = "m5.xlarge", *, spot: bool = False, gpus: int = 0, name: str = "n1"
) -> Node:
    return Node(
        name=name,
        instance_type=instance_type,
        cpu_capacity_millicores=4_000,
        memory_capacity_bytes=16 * GIB,
        gpu_count=gpus,
        capacity_type=CapacityType.SPOT if spot else CapacityType.ON_DEMAND,
    )


@pytest.fixture(scope="module")
def prices():  # type: ignore[no-untyped-def]
    return load_price_book(catalog_dir=None, overrides_file=None)


def test_catalog_list_price_on_demand_and_spot(prices) -> None:  # type: ignore[no-untyped-def]
    on_demand = prices.node_price(
        cluster="c", provider=Provider.AWS, region="us-east-1", node=node()
    )
    spot = prices.node_price(
        cluster="c", provider=Provider.AWS, region="us-east-1", node=node(spot=True)
    )
    assert on_demand.hourly_nano_usd == 192_000_000
    assert on_demand.source is PriceSource.CATALOG
    assert spot.hourly_nano_usd == 75_200_000


def test_unknown_instance_type_is_priced_from_defaults_and_flagged(prices) -> None:  # type: ignore[no-untyped-def]
    price = prices.node_price(
        cluster="c", provider=Provider.AWS, region="us-east-1", node=node("x9.mystery")
    )
    assert price.source is PriceSource.DEFAULT
    # 4 vCPU × $0.031611 + 16 GiB × $0.004237 = $0.194236 per hour, never zero.
    assert price.hourly_nano_usd == 194_236_000


def test_unknown_region_falls_back_to_defaults(prices) -> None:  # type: ignore[no-untyped-def]
    price = prices.node_price(cluster="c", provider=Provider.AWS, region="mars-1", node=node())
    assert price.source is PriceSource.DEFAULT


def test_most_specific_override_wins(prices) -> None:  # type: ignore[no-untyped-def]
    book = type(prices)(
        prices.catalogs,
        [
            PriceOverride(1, instance_type="m5.xlarge"),
            PriceOverride(2, instance_type="m5.xlarge", capacity_type=CapacityType.SPOT),
            PriceOverride(3, node="special"),
        ],
    )
    on_demand = book.node_price(cluster="c", provider=Provider.AWS, region="us-east-1", node=node())
    spot = book.node_price(
        cluster="c", provider=Provider.AWS, region="us-east-1", node=node(spot=True)
    )
    named = book.node_price(
        cluster="c", provider=Provider.AWS, region="us-east-1", node=node(name="special")
    )
    assert (on_demand.hourly_nano_usd, spot.hourly_nano_usd, named.hourly_nano_usd) == (1, 2, 3)
    assert on_demand.source is PriceSource.OVERRIDE


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
