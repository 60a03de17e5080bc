"""Flows into ClickHouse: priced, attributed to the sender, never counted twice, tiered by month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubeopt_common.clickhouse.chdb_adapter import ChdbClickHouse
from kubeopt_common.events import (
    Endpoint,
    Flow,
    FlowsObserved,
    Provider,
    WorkloadKind,
    event_id_for,
)
from kubeopt_costing.analytics import CostStore
from kubeopt_costing.analytics.network import NetworkStore
from kubeopt_costing.domain.network import DEFAULT_PRIVATE_CIDRS, price_flows
from kubeopt_costing.domain.windows import Window
from kubeopt_costing.network import NetworkService
from kubeopt_costing.network_catalog import load_network_prices

GB = 10**9
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def pod(name: str, zone: str, *, namespace: str = "shop") -> Endpoint:
    return Endpoint(
        namespace=namespace,
        workload_kind=WorkloadKind.DEPLOYMENT,
        workload=name,
        pod=f"{name}-1",
        node=f"node-{zone}",
        zone=zone,
        region="us-east-1",
    )


def batch(minute: int, flows: list[Flow], *, cluster: str = "prod") -> FlowsObserved:
    start = T0 + timedelta(minutes=minute)
    return FlowsObserved.create(
        event_id=event_id_for("test-flows", cluster, start),
        cluster=cluster,
        producer="test",
        provider=Provider.AWS,
        region="us-east-1",
        window_start=start,
        window_seconds=60,
        flows=tuple(flows),
    )


@pytest.fixture
def network(clickhouse: ChdbClickHouse) -> NetworkService:
    CostStore(clickhouse, raw_retention_days=3650, rollup_retention_days=3650).migrate()
    return NetworkService(
        NetworkStore(clickhouse), load_network_prices(), private_cidrs=DEFAULT_PRIVATE_CIDRS
    )


def by(service: NetworkService, group: str) -> dict[tuple[str, ...], int]:
    rows = service.report(Window(T0, T0 + timedelta(hours=1)), group, clusters=())
    return {r.key: r.cost_nano_usd for r in rows}


def test_cross_az_flow_is_charged_on_both_sides_to_the_sender(network: NetworkService) -> None:
    flow = Flow(src=pod("web", "us-east-1a"), dst=pod("db", "us-east-1b"), bytes_sent=10 * GB)
    assert network.ingest([batch(0, [flow])]) == 1
    assert by(network, "class") == {("cross_zone",): 2 * 10 * 10_000_000}  # $0.01/GB each side
    assert by(network, "source") == {("shop", "web"): 200_000_000}
    pair = network.report(Window(T0, T0 + timedelta(hours=1)), "pair", clusters=())
    assert pair[0].key == ("shop", "web", "shop", "db", "us-east-1")
    assert pair[0].receiver_side_nano_usd == 100_000_000


def test_redelivered_flows_are_not_counted_twice(network: NetworkService) -> None:
    flow = Flow(src=pod("web", "us-east-1a"), dst=pod("db", "us-east-1b"), bytes_sent=GB)
    network.ingest([batch(0, [flow])])
    assert network.ingest([batch(0, [flow]), batch(0, [flow])]) == 0
    assert sum(by(network, "class").values()) == 20_000_000


def test_a_redelivered_batch_found_stored_rebuilds_its_hours_network_rollups(
    network: NetworkService, clickhouse: ChdbClickHouse
) -> None:
    flow = Flow(src=pod("web", "us-east-1a"), dst=pod("db", "us-east-1b"), bytes_sent=GB)
    batches = [batch(0, [flow]), batch(1, [flow])]
    network.ingest(batches)
    whole = _network_totals(clickhouse)
    assert whole == (40_000_000, 40_000_000, 40_000_000)
    # A consumer killed mid-insert: the raw flows are committed, the rollups' parts are not.
    for table in ("network_flows_hourly", "network_cost_hourly"):
        clickhouse.command(f"TRUNCATE TABLE {clickhouse.database}.{table}")
    network.ingest(batches[:1])  # a first delivery found stored: skipped, nothing rebuilt
    assert _network_totals(clickhouse)[1:] == (0, 0)
    assert network.ingest(batches, redelivered={b.event_id for b in batches}) == 0
    assert _network_totals(clickhouse) == whole
    network.ingest(batches, redelivered={b.event_id for b in batches})  # whole: a no-op
    assert _network_totals(clickhouse) == whole


def _network_totals(ch: ChdbClickHouse) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        int(ch.query(f"SELECT sum({column}) AS s FROM {ch.database}.{table}")[0]["s"])  # noqa: S608
        for table, column in (
            ("network_flows", "total_nano_usd"),
            ("network_flows_hourly", "total_nano_usd"),
            ("network_cost_hourly", "network_cost_nano_usd"),
        )
    )


def test_internet_tiers_continue_across_batches_of_the_month(network: NetworkService) -> None:
    internet = Endpoint(external=True, ip="93.184.216.34")
    # Two batches of 60 GB cost what one flow of 120 GB costs: the month's volume carries over
    # (on AWS the first 100 GB of a month are free, so the second batch pays for 20 GB).
    for minute in (0, 1):
        flow = Flow(src=pod("web", "us-east-1a"), dst=internet, bytes_sent=60 * GB)
        network.ingest([batch(minute, [flow])])
    whole = Flow(src=pod("web", "us-east-1a"), dst=internet, bytes_sent=120 * GB)
    (priced,), _ = price_flows(
        load_network_prices(),
        provider=Provider.AWS,
        region="us-east-1",
        flows=[whole],
        internet_bytes_month_to_date=0,
    )
    assert by(network, "class")[("internet",)] == priced.total_nano_usd > 0
