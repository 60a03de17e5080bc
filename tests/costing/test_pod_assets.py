"""PV claims and load balancer shares: priced once per window, split exactly over their pods."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kubeopt_common.events import (
    AssetKind,
    NodeUsage,
    PodAsset,
    Provider,
    UsageBatchBuilder,
    UsageSampled,
    salvage_usage,
)
from kubeopt_costing.domain.allocation import IDLE, CostRows, price_batch
from kubeopt_costing.domain.pod_assets import even_share
from kubeopt_costing.domain.price_book import PriceBook
from kubeopt_costing.domain.pricing import (
    PriceOverride,
    ProviderCatalog,
    StorageOverride,
    UnitPrices,
)
from tests.builders import make_container_sample, make_node, make_usage_sampled

GIB = 1024**3
UNITS = UnitPrices(31_611_000, 4_237_000, 950_000_000, 6_655_000, 892_000, 308_000_000)
NODE_HOURLY = 100_000_000  # $0.10 per hour
GP3_MONTHLY = 80_000_000  # $0.08 per GiB-month
LB_HOURLY = 25_000_000  # $0.025 per hour


def book() -> PriceBook:
    catalog = ProviderCatalog(Provider.ONPREM, UNITS, {})
    return PriceBook(
        {Provider.ONPREM: catalog},
        [PriceOverride(NODE_HOURLY)],
        storage_overrides=[StorageOverride("gp3", GP3_MONTHLY)],
        load_balancer_overrides={"": LB_HOURLY},
    )


def batch(assets_per_node: list[list[PodAsset]], *, window_seconds: int = 3600) -> UsageSampled:
    """One node per entry, each running pods p0 (two containers) and p1 (one container)."""
    builder = UsageBatchBuilder()
    nodes = []
    for index, assets in enumerate(assets_per_node):
        samples = [
            make_container_sample(pod="p0", container="app", cpu_usage_millicores=100),
            make_container_sample(pod="p0", container="sidecar", cpu_usage_millicores=10),
            make_container_sample(pod="p1", container="app", cpu_usage_millicores=100),
        ]
        node = make_node(name=f"n{index}", instance_type="custom")
        nodes.append(
            NodeUsage(node=node, containers=builder.columns(samples), assets=tuple(assets))
        )
    base = make_usage_sampled(
        cluster="c1",
        provider=Provider.ONPREM,
        region="dc1",
        window_start=datetime(2026, 11, 1, 12, tzinfo=UTC),
        window_seconds=window_seconds,
    )
    return base.model_copy(update={"nodes": tuple(nodes), "label_sets": builder.label_sets})


def pv(container: int, size_gib: int, *, sharers: int = 1, rank: int = 0) -> PodAsset:
    return PodAsset(
        container=container,
        kind=AssetKind.PERSISTENT_VOLUME,
        name="data",
        storage_class="gp3",
        size_bytes=size_gib * GIB,
        sharers=sharers,
        rank=rank,
    )


def lb(container: int, *, sharers: int, rank: int) -> PodAsset:
    return PodAsset(
        container=container, kind=AssetKind.LOAD_BALANCER, name="web", sharers=sharers, rank=rank
    )


def priced(event: UsageSampled) -> CostRows:
    rows = CostRows()
    price_batch(event, book(), rows)
    return rows


def test_a_claim_costs_its_size_at_the_class_price_on_the_pods_first_container() -> None:
    rows = priced(batch([[pv(2, 100)]]))
    # 100 GiB × $0.08 per GiB-month for one hour of a 730-hour month.
    expected = GP3_MONTHLY * 100 * 3600 // (730 * 3600)
    p1 = rows.pod.index("p1")
    assert rows.pv_cost_nano_usd[p1] == expected == 10_958_904
    assert rows.pv_bytes[p1] == 100 * GIB
    assert sum(rows.pv_cost_nano_usd) == expected
    assert rows.total_cost_nano_usd[p1] == (
        rows.cpu_cost_nano_usd[p1] + rows.memory_cost_nano_usd[p1] + expected
    )


def test_assets_come_on_top_of_the_node_cost_and_leave_idle_alone() -> None:
    bare, loaded = priced(batch([[]])), priced(batch([[pv(0, 50), lb(2, sharers=1, rank=0)]]))
    idle = bare.namespace.index(IDLE)
    assert loaded.total_cost_nano_usd[idle] == bare.total_cost_nano_usd[idle]
    node_cost = sum(bare.total_cost_nano_usd)
    compute = [
        c + m + g
        for c, m, g in zip(
            loaded.cpu_cost_nano_usd,
            loaded.memory_cost_nano_usd,
            loaded.gpu_cost_nano_usd,
            strict=True,
        )
    ]
    assert sum(compute) == node_cost
    extra = sum(loaded.pv_cost_nano_usd) + sum(loaded.lb_cost_nano_usd)
    assert sum(loaded.total_cost_nano_usd) == node_cost + extra


def test_a_load_balancer_splits_exactly_over_pods_on_several_nodes() -> None:
    # Three pods share the balancer: p0 and p1 on n0, p0 on n1.
    event = batch(
        [[lb(0, sharers=3, rank=0), lb(2, sharers=3, rank=1)], [lb(0, sharers=3, rank=2)]]
    )
    rows = priced(event)
    shares = [cost for cost in rows.lb_cost_nano_usd if cost]
    assert sum(shares) == LB_HOURLY
    assert sorted(shares) == [8_333_333, 8_333_333, 8_333_334]


def test_a_shared_claim_splits_bytes_and_cost_exactly() -> None:
    rows = priced(
        batch([[pv(0, 7, sharers=2, rank=0), pv(2, 7, sharers=2, rank=1)]], window_seconds=300)
    )
    assert sum(rows.pv_bytes) == 7 * GIB
    assert sum(rows.pv_cost_nano_usd) == GP3_MONTHLY * 7 * 300 // (730 * 3600)


@given(st.integers(0, 10**15), st.integers(1, 500))
def test_even_shares_add_up_to_the_amount(amount: int, sharers: int) -> None:
    shares = [even_share(amount, sharers, rank) for rank in range(sharers)]
    assert sum(shares) == amount
    assert all(share == amount // sharers for share in shares[1:])


def test_an_asset_pointing_past_the_containers_is_rejected_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="points at container 3 but node n0 has 3"):
        batch([[pv(3, 1)]])


def test_a_rank_outside_the_sharers_is_rejected() -> None:
    with pytest.raises(ValidationError, match="rank 2 is not below sharers 2"):
        lb(0, sharers=2, rank=2)


def test_salvage_keeps_the_assets_of_kept_containers_re_pointed() -> None:
    event = batch([[pv(0, 10), lb(2, sharers=1, rank=0)]])
    doc = event.model_dump(mode="json")
    doc["nodes"][0]["containers"]["cpu_usage_millicores"][0] = -5  # p0/app is rejected
    salvaged = salvage_usage(orjson.dumps(doc))
    assert salvaged is not None
    kept, rejected = salvaged
    assert len(rejected) == 1
    (assets,) = [n.assets for n in kept.nodes]
    # p0/app's claim moved to p0/sidecar (now row 0); p1's balancer now points at row 1.
    assert [(a.kind, a.container) for a in assets] == [
        (AssetKind.PERSISTENT_VOLUME, 0),
        (AssetKind.LOAD_BALANCER, 1),
    ]


def test_salvage_drops_an_asset_with_its_pods_last_container() -> None:
    event = batch([[pv(2, 10)]])
    doc = event.model_dump(mode="json")
    doc["nodes"][0]["containers"]["memory_usage_bytes"][2] = "NaN"  # p1 (one container) goes
    salvaged = salvage_usage(orjson.dumps(doc))
    assert salvaged is not None
    assert salvaged[0].nodes[0].assets == ()
