"""Anomalies are judged when an hour closes, stored as a timeline and returned as events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kubeopt_common.clickhouse.chdb_adapter import ChdbClickHouse
from kubeopt_common.events import Severity, UsageSampled, event_id_for
from kubeopt_costing.analytics import CostStore
from kubeopt_costing.analytics.anomalies import AnomalyStore
from kubeopt_costing.anomaly_watch import AnomalyWatch
from kubeopt_costing.catalog import load_price_book
from kubeopt_costing.domain.anomaly_policy import AnomalyPolicy
from kubeopt_costing.domain.windows import Window
from kubeopt_costing.service import CostingService
from tests.builders import make_container_sample, make_usage_sampled
from tests.costing.fleet import GIB, HOUR, node_a, usage

POLICY = AnomalyPolicy(min_cost_nano_usd=1_000_000, min_deviation_nano_usd=500_000)


def hour_batch(hours: int, *, web_cpu_request: int = 1_000) -> UsageSampled:
    start = HOUR + timedelta(hours=hours)
    web = make_container_sample(
        namespace="shop",
        pod="web-1",
        workload="web",
        cpu_request_millicores=web_cpu_request,
        cpu_usage_millicores=200,
        memory_request_bytes=GIB,
        memory_usage_bytes=GIB // 2,
    )
    return make_usage_sampled(
        [(node_a(), [web])],
        event_id=event_id_for("hourly", start),
        cluster="prod",
        window_start=start,
        window_seconds=3600,
    )


@pytest.fixture
def parts(clickhouse: ChdbClickHouse) -> tuple[CostingService, AnomalyWatch, AnomalyStore]:
    store = CostStore(clickhouse, raw_retention_days=3650, rollup_retention_days=3650)
    store.migrate()
    service = CostingService(
        store, load_price_book(catalog_dir=None, overrides_file=None), producer="t"
    )
    anomalies = AnomalyStore(clickhouse)
    return service, AnomalyWatch(anomalies, POLICY, producer="costing"), anomalies


def test_a_spike_is_found_when_its_hour_closes(
    parts: tuple[CostingService, AnomalyWatch, AnomalyStore],
) -> None:
    service, watch, store = parts
    history = [hour_batch(h) for h in range(5 * 7 * 24)]
    for i in range(0, len(history), 200):
        service.ingest(history[i : i + 200])
    spike_hour = 5 * 7 * 24
    spike = hour_batch(spike_hour, web_cpu_request=3_600)
    service.ingest([spike])
    assert watch.observe([spike]) == []  # the spike's hour is still open
    following = hour_batch(spike_hour + 1)
    service.ingest([following])
    events = watch.observe([following])
    found = [e for e in events if e.namespace == "shop" and e.workload == ""]
    assert len(found) == 1
    assert found[0].window_start == spike.window_start
    assert found[0].actual_nano_usd > 3 * found[0].expected_nano_usd
    assert found[0].severity in {Severity.WARNING, Severity.CRITICAL}
    timeline = store.timeline(
        Window(spike.window_start, spike.window_start + timedelta(hours=1)),
        clusters=(),
        namespaces=("shop",),
        severities=(),
    )
    assert {r.workload for r in timeline} == {"", "web"}
    assert all(r.direction == "spike" for r in timeline)
    # The same batch again closes no new hour: nothing is judged twice.
    assert {e.event_id for e in watch.observe([following])} == set()


def test_minute_windows_close_hours_too(
    parts: tuple[CostingService, AnomalyWatch, AnomalyStore],
) -> None:
    service, watch, _ = parts
    batches = [usage(m) for m in (58, 59, 61)]  # 10:58, 10:59, then 11:01 closes hour 10
    service.ingest(batches)
    assert watch.observe(batches[:2]) == []
    assert watch.observe(batches[2:]) == []  # one closed hour, no history: nothing to report
