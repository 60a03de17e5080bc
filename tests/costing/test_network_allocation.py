"""Network cost inside /v1/allocation: owned by the sending pod, grouped like its compute cost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kubeopt_common.clickhouse.chdb_adapter import ChdbClickHouse
from kubeopt_common.events import Endpoint, Flow, FlowsObserved, Provider, event_id_for
from kubeopt_costing.analytics import AllocationQuery, CostStore
from kubeopt_costing.analytics.network import NetworkStore
from kubeopt_costing.catalog import load_price_book
from kubeopt_costing.domain.aggregation import UNALLOCATED, parse_aggregate
from kubeopt_costing.domain.allocation import IDLE
from kubeopt_costing.domain.network import DEFAULT_PRIVATE_CIDRS
from kubeopt_costing.domain.windows import Window
from kubeopt_costing.network import NetworkService
from kubeopt_costing.network_catalog import load_network_prices
from kubeopt_costing.service import CostingService
from tests.costing.fleet import HOUR, usage

GB = 10**9
CROSS_AZ_NANO_PER_GB = 2 * 10_000_000  # AWS: $0.01/GB out of one zone and $0.01/GB into the other
HOUR_WINDOW = Window(HOUR, HOUR + timedelta(hours=1))


def web(zone: str = "us-east-1a") -> Endpoint:
    return Endpoint(namespace="shop", workload="web", pod="web-1", node="node-a", zone=zone)


def peer(zone: str) -> Endpoint:
    return Endpoint(namespace="shop", workload="db", pod="db-1", node="node-b", zone=zone)


def flows(minute: int, *items: Flow) -> FlowsObserved:
    start = HOUR + timedelta(minutes=minute)
    return FlowsObserved.create(
        event_id=event_id_for("test-flows", "prod", start),
        cluster="prod",
        producer="test",
        provider=Provider.AWS,
        region="us-east-1",
        window_start=start,
        window_seconds=60,
        flows=items,
    )


@pytest.fixture
def services(clickhouse: ChdbClickHouse) -> tuple[CostingService, NetworkService]:
    store = CostStore(clickhouse, raw_retention_days=3650, rollup_retention_days=3650)
    store.migrate()
    costing = CostingService(
        store, load_price_book(catalog_dir=None, overrides_file=None), producer="costing"
    )
    network = NetworkService(
        NetworkStore(clickhouse), load_network_prices(), private_cidrs=DEFAULT_PRIVATE_CIDRS
    )
    costing.ingest([usage(m) for m in range(60)])
    network.ingest(
        [
            # web-1 sends 3 GB to db-1 in another zone in each of two minutes.
            flows(0, Flow(src=web(), dst=peer("us-east-1b"), bytes_sent=3 * GB)),
            flows(30, Flow(src=web(), dst=peer("us-east-1b"), bytes_sent=3 * GB)),
            # node-a's own traffic (no pod) across zones: nobody's workload.
            flows(
                45,
                Flow(
                    src=Endpoint(node="node-a", zone="us-east-1a"),
                    dst=Endpoint(node="node-b", zone="us-east-1b"),
                    bytes_sent=1 * GB,
                ),
            ),
        ]
    )
    return costing, network


def allocate(
    service: CostingService, by: str, window: Window = HOUR_WINDOW, **kw: object
) -> dict[tuple[str, ...], dict[str, int]]:
    result = service.allocate(AllocationQuery(window, parse_aggregate(by), **kw))  # type: ignore[arg-type]
    return {g.key: g.measures for g in result.groups}


def test_network_cost_joins_the_sending_pods_namespace(
    services: tuple[CostingService, NetworkService],
) -> None:
    costing, _ = services
    by_ns = allocate(costing, "namespace")
    compute = allocate(costing, "namespace", include_idle=True)
    assert by_ns[("shop",)]["network_cost_nano_usd"] == 6 * CROSS_AZ_NANO_PER_GB
    assert by_ns[("shop",)]["network_bytes"] == 6 * GB
    assert by_ns[(UNALLOCATED,)]["network_cost_nano_usd"] == 1 * CROSS_AZ_NANO_PER_GB
    assert "network_cost_nano_usd" not in by_ns[("data",)]
    assert "network_cost_nano_usd" not in by_ns[(IDLE,)]
    shop_compute = (
        compute[("shop",)]["cpu_cost_nano_usd"] + compute[("shop",)]["memory_cost_nano_usd"]
    )
    assert by_ns[("shop",)]["total_cost_nano_usd"] == shop_compute + 6 * CROSS_AZ_NANO_PER_GB


def test_raw_windows_count_only_the_flows_inside_them(
    services: tuple[CostingService, NetworkService],
) -> None:
    costing, _ = services
    first_half = Window(HOUR, HOUR + timedelta(minutes=29, seconds=59))  # not hour-aligned: raw
    assert allocate(costing, "namespace", first_half)[("shop",)]["network_cost_nano_usd"] == (
        3 * CROSS_AZ_NANO_PER_GB
    )


def test_keys_flows_do_not_carry_come_from_the_pods_cost_rows(
    services: tuple[CostingService, NetworkService],
) -> None:
    costing, _ = services
    by_team = allocate(costing, "label:team")
    assert by_team[("storefront",)]["network_cost_nano_usd"] == 6 * CROSS_AZ_NANO_PER_GB
    by_container = allocate(costing, "pod,container")
    assert by_container[("web-1", "app")]["network_cost_nano_usd"] == 6 * CROSS_AZ_NANO_PER_GB
    by_instance = allocate(costing, "instance_type")
    assert by_instance[("m5.xlarge",)]["network_cost_nano_usd"] == 6 * CROSS_AZ_NANO_PER_GB


def test_filters_and_shared_namespaces_apply_to_network_cost(
    services: tuple[CostingService, NetworkService],
) -> None:
    costing, _ = services
    only_data = allocate(costing, "namespace", namespaces=("data",))
    assert set(only_data) == {("data",)}
    assert "network_cost_nano_usd" not in only_data[("data",)]
    shared = allocate(costing, "namespace", shared_namespaces=("shop",), include_idle=False)
    assert ("shop",) not in shared
    spread = sum(m.get("network_cost_nano_usd", 0) for m in shared.values())
    assert spread == 7 * CROSS_AZ_NANO_PER_GB  # shop's network went to the others, none lost


def test_spend_after_flows_includes_the_network_cost_a_namespace_owns(
    services: tuple[CostingService, NetworkService],
) -> None:
    costing, _ = services
    spend = {e.namespace: e.cost_nano_usd for e in costing.spend_events([flows(0)])}
    by_ns = allocate(costing, "namespace")
    assert spend == {
        "shop": by_ns[("shop",)]["total_cost_nano_usd"],
        "data": by_ns[("data",)]["total_cost_nano_usd"],
    }  # node traffic (no namespace) and idle are nobody's spend
    assert by_ns[("shop",)]["network_cost_nano_usd"] > 0
