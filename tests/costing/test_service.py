"""Costing against the real ClickHouse engine (chDB): ingest, idempotence, rollups, queries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kubeopt_common.clickhouse import ClickHouse
from kubeopt_common.clickhouse.chdb_adapter import ChdbClickHouse
from kubeopt_common.clickhouse.connect_adapter import ConnectClickHouse
from kubeopt_costing.analytics import AllocationFilter, AllocationQuery, CostStore
from kubeopt_costing.analytics.allocation import allocation_source
from kubeopt_costing.catalog import load_price_book
from kubeopt_costing.domain.aggregation import parse_aggregate
from kubeopt_costing.domain.allocation import IDLE
from kubeopt_costing.domain.windows import Window
from kubeopt_costing.service import CostingService
from tests.costing.fleet import HOUR, M5_XLARGE_NANO_PER_HOUR, usage


@pytest.fixture(params=["chdb", "clickhouse-connect"])
def service(
    request: pytest.FixtureRequest, clickhouse: ChdbClickHouse, chdb_path: Path
) -> CostingService:
    """The same DDL and queries through both adapters: chDB direct, and clickhouse-connect's
    client code path (Native format, server-side parameters) on the same engine."""
    port: ClickHouse = clickhouse
    if request.param == "clickhouse-connect":
        port = ConnectClickHouse.from_dsn(f"chdb://{chdb_path}", database=clickhouse.database)
    store = CostStore(port, raw_retention_days=3650, rollup_retention_days=3650)
    store.migrate()
    return CostingService(
        store, load_price_book(catalog_dir=None, overrides_file=None), producer="costing"
    )


def totals(service: CostingService, window: Window, by: str) -> dict[tuple[str, ...], int]:
    rows = service.allocation(window, parse_aggregate(by), AllocationFilter())
    return {r.key: r.measures["total_cost_nano_usd"] for r in rows}


def test_node_cost_is_fully_attributed_per_minute_and_per_hour(service: CostingService) -> None:
    service.ingest([usage(m) for m in range(60)])
    raw = totals(service, Window(HOUR, HOUR + timedelta(minutes=59, seconds=59)), "node")
    hourly = totals(service, Window(HOUR, HOUR + timedelta(hours=1)), "node")
    assert hourly == {("node-a",): M5_XLARGE_NANO_PER_HOUR}
    assert raw == {("node-a",): M5_XLARGE_NANO_PER_HOUR}  # raw rows (unaligned window) agree
    by_ns = totals(service, Window(HOUR, HOUR + timedelta(hours=1)), "namespace")
    assert set(by_ns) == {("shop",), ("data",), (IDLE,)}
    assert sum(by_ns.values()) == M5_XLARGE_NANO_PER_HOUR


def test_redelivered_batches_are_not_counted_twice(service: CostingService) -> None:
    first = service.ingest([usage(0), usage(1)])
    again = service.ingest([usage(1), usage(2), usage(2)])
    assert (first.stored_batches, again.stored_batches, again.skipped_batches) == (2, 1, 2)
    window = Window(HOUR, HOUR + timedelta(hours=1))
    assert sum(totals(service, window, "cluster").values()) == 3 * M5_XLARGE_NANO_PER_HOUR // 60


def test_spend_events_carry_running_hourly_totals(service: CostingService) -> None:
    first = service.ingest([usage(0)])
    second = service.ingest([usage(1)])
    shop_first = next(e for e in first.spend_events if e.namespace == "shop")
    shop_second = next(e for e in second.spend_events if e.namespace == "shop")
    assert shop_second.cost_nano_usd == 2 * shop_first.cost_nano_usd
    assert shop_second.window_start == HOUR
    assert shop_second.window_end == HOUR + timedelta(hours=1)
    assert {e.namespace for e in second.spend_events} == {"shop", "data"}  # idle is not spend
    # Republishing the same total reuses the event id, so consumers dedupe it.
    replay = service.ingest([usage(1)])
    assert {e.event_id for e in replay.spend_events} == {e.event_id for e in second.spend_events}


def test_label_and_workload_aggregation(service: CostingService) -> None:
    service.ingest([usage(0)])
    window = Window(HOUR, HOUR + timedelta(hours=1))
    by_team = totals(service, window, "label:team")
    assert set(by_team) == {("storefront",), ("__unallocated__",), (IDLE,)}
    by_workload = totals(service, window, "namespace,workload")
    assert ("shop", "web") in by_workload
    assert ("data", "etl") in by_workload


def test_filters_and_idle_exclusion(service: CostingService) -> None:
    service.ingest([usage(0), usage(0, cluster="staging")])
    window = Window(HOUR, HOUR + timedelta(hours=1))
    rows = service.allocation(
        window,
        parse_aggregate("cluster"),
        AllocationFilter(clusters=("staging",), include_idle=False),
    )
    assert [r.key for r in rows] == [("staging",)]
    assert rows[0].measures["total_cost_nano_usd"] < M5_XLARGE_NANO_PER_HOUR // 60


def test_efficiency_inputs_are_stored(service: CostingService) -> None:
    service.ingest([usage(0)])
    rows = service.allocation(
        Window(HOUR, HOUR + timedelta(hours=1)), parse_aggregate("workload"), AllocationFilter()
    )
    web = next(r for r in rows if r.key == ("web",))
    assert web.measures["cpu_usage_millicore_seconds"] == 500 * 60
    assert web.measures["cpu_allocated_millicore_seconds"] == 1_000 * 60  # max(request, usage)
    assert web.price_sources == ("catalog",)


def _allocate(service: CostingService, by: str, **kwargs: object) -> dict[tuple[str, ...], int]:
    query = AllocationQuery(Window(HOUR, HOUR + timedelta(hours=1)), parse_aggregate(by), **kwargs)  # type: ignore[arg-type]
    return {g.key: g.measures["total_cost_nano_usd"] for g in service.allocate(query).groups}


def test_share_idle_spreads_the_node_idle_over_its_workloads(service: CostingService) -> None:
    service.ingest([usage(m) for m in range(60)])
    plain = _allocate(service, "namespace")
    shared = _allocate(service, "namespace", share_idle=True)
    assert (IDLE,) not in shared
    assert sum(shared.values()) == sum(plain.values()) == M5_XLARGE_NANO_PER_HOUR
    assert shared[("shop",)] > plain[("shop",)]
    assert shared[("data",)] > plain[("data",)]


def test_shared_namespace_is_spread_and_filters_apply_after_sharing(
    service: CostingService,
) -> None:
    service.ingest([usage(0)])
    plain = _allocate(service, "namespace", include_idle=False)
    spread = _allocate(service, "namespace", include_idle=False, shared_namespaces=("data",))
    assert set(spread) == {("shop",)}
    assert spread[("shop",)] == plain[("shop",)] + plain[("data",)]
    # Filtering to shop after sharing keeps what shop received from data.
    only_shop = _allocate(
        service, "namespace", include_idle=False, shared_namespaces=("data",), namespaces=("shop",)
    )
    assert only_shop == spread


def test_label_filter_and_step_series(service: CostingService) -> None:
    service.ingest([usage(m) for m in range(0, 60, 10)])
    by_label = _allocate(service, "namespace", labels=(("team", "storefront"),))
    assert set(by_label) == {("shop",)}
    result = service.allocate(
        AllocationQuery(
            Window(HOUR, HOUR + timedelta(hours=1)),
            parse_aggregate("cluster"),
            step_s=600,
        )
    )
    assert len(result.series) == 6  # one bucket per ten minutes that has data
    per_bucket = [
        sum(g.measures["total_cost_nano_usd"] for g in groups.values())
        for groups in result.series.values()
    ]
    assert set(per_bucket) == {M5_XLARGE_NANO_PER_HOUR // 60}


def test_daily_rollup_answers_long_day_aligned_windows(service: CostingService) -> None:
    days = [usage(0, cluster="prod")]
    service.ingest(days)
    start = HOUR.replace(hour=0) - timedelta(days=10)
    result = service.allocate(
        AllocationQuery(Window(start, start + timedelta(days=14)), parse_aggregate("cluster"))
    )
    assert result.resolution == "1d"
    assert (
        sum(g.measures["total_cost_nano_usd"] for g in result.groups)
        == M5_XLARGE_NANO_PER_HOUR // 60
    )


def test_management_fee_follows_the_time_the_cluster_ran(service: CostingService) -> None:
    service.ingest([usage(m) for m in range(30)])  # the cluster reported for half an hour
    (hour,) = service.cluster_fees(Window(HOUR, HOUR + timedelta(hours=1)), clusters=())
    (raw,) = service.cluster_fees(
        Window(HOUR, HOUR + timedelta(minutes=20, seconds=1)), clusters=()
    )
    assert (hour.cluster, hour.seconds, hour.fee_nano_usd) == ("prod", 1800, 50_000_000)
    assert (raw.seconds, raw.fee_nano_usd) == (21 * 60, 35_000_000)  # 21 one-minute windows


def test_long_windows_off_midnight_read_whole_days_daily_and_edges_hourly(
    service: CostingService,
) -> None:
    midnight = HOUR.replace(hour=0)
    to_seven = (midnight + timedelta(hours=7) - HOUR) // timedelta(minutes=1)  # 07:00 that day
    days = [usage(to_seven - d * 1440) for d in range(10)]  # one minute at 07:00, ten days
    service.ingest([*days, usage(to_seven - 120 - 9 * 1440)])  # and 05:00 nine days back
    start = midnight - timedelta(days=9) + timedelta(hours=6)  # so the 05:00 one is outside
    window = Window(start, midnight + timedelta(hours=8))
    for step in (None, 86_400, 3_600):
        result = service.allocate(
            AllocationQuery(window, parse_aggregate("namespace"), step_s=step)
        )
        assert result.resolution == "1h"
        total = sum(g.measures["total_cost_nano_usd"] for g in result.groups)
        assert total == 10 * (M5_XLARGE_NANO_PER_HOUR // 60), step
        if step:
            assert len(result.series) == 10  # one bucket per day (or hour) with data


def test_a_30_day_window_reads_29_days_daily_and_its_edges_hourly() -> None:
    end = HOUR + timedelta(hours=1)  # 11:00: what "30d" ends at, widened to the hour
    source = allocation_source(Window(end - timedelta(days=30), end), None)
    midnight = HOUR.replace(hour=0)
    assert [(table, start, stop) for table, _, start, stop in source.segments] == [
        ("cost_allocation_hourly", end - timedelta(days=30), midnight - timedelta(days=29)),
        ("cost_allocation_daily", midnight - timedelta(days=29), midnight),
        ("cost_allocation_hourly", midnight, end),
    ]
    assert allocation_source(Window(end - timedelta(days=30), end), 3_600).segments == ()
    assert allocation_source(Window(end - timedelta(days=3), end), None).segments == ()


def _rollup_totals(service: CostingService) -> tuple[int, int, int]:
    ch, db = service._store.clickhouse, service._store.clickhouse.database
    return tuple(  # type: ignore[return-value]
        int(ch.query(f"SELECT sum(total_cost_nano_usd) AS s FROM {db}.{table}")[0]["s"])  # noqa: S608
        for table in ("cost_allocation", "cost_allocation_hourly", "cost_allocation_daily")
    )


def test_a_redelivered_batch_found_stored_rebuilds_its_hours_rollups(
    service: CostingService,
) -> None:
    batches = [usage(m) for m in range(3)] + [usage(60 + m) for m in range(2)]  # two hours
    service.store(batches)
    whole = _rollup_totals(service)
    assert whole[0] == whole[1] == whole[2] == 5 * (M5_XLARGE_NANO_PER_HOUR // 60)
    # A consumer killed mid-insert: the raw rows are committed, the rollups' parts are not.
    ch, db = service._store.clickhouse, service._store.clickhouse.database
    for table in ("cost_allocation_hourly", "cost_allocation_daily"):
        ch.command(f"TRUNCATE TABLE {db}.{table}")
    assert _rollup_totals(service)[1:] == (0, 0)

    first_hour = batches[:1]
    service.store(first_hour)  # delivered for the first time: skipped, nothing rebuilt
    assert _rollup_totals(service)[1:] == (0, 0)
    result = service.store(first_hour, redelivered={first_hour[0].event_id})
    assert result.stored_batches == 0  # still not stored twice
    raw, hourly, daily = _rollup_totals(service)
    assert (raw, hourly) == (whole[0], 3 * (M5_XLARGE_NANO_PER_HOUR // 60))  # its hour only
    assert daily == hourly  # the day is rebuilt from the hourly rows it has

    service.store(batches, redelivered={b.event_id for b in batches})
    assert _rollup_totals(service) == whole  # and rebuilding intact hours changes nothing
    service.store(batches, redelivered={b.event_id for b in batches})
    assert _rollup_totals(service) == whole
