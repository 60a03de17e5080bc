"""The Prometheus usage source against a real Prometheus holding generated history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from kubeopt_collector.domain.prom_usage import UsageContext
from kubeopt_collector.health import SourceHealth
from kubeopt_collector.prometheus import PrometheusClient
from kubeopt_collector.prometheus_source import PrometheusOptions, PrometheusUsageSource
from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_common.events import NO_LIMIT, CapacityType, Provider, UsageSampled, WorkloadKind
from tests.collector.prometheus_rig import GIB, MIB, RunningPrometheus

pytestmark = pytest.mark.integration
STEP = 300


class MemoryCheckpoints:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def put(self, key: str, value: str) -> None:
        self.values[key] = value


class Sink:
    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []

    async def __call__(self, messages: Sequence[OutgoingMessage]) -> None:
        self.messages.extend(messages)

    def events(self) -> list[UsageSampled]:
        return [UsageSampled.model_validate_json(m.payload) for m in self.messages]


def make_source(
    prometheus: RunningPrometheus,
    sink: Sink,
    *,
    max_points_per_series: int = 11_000,
    pod_batch_size: int = 200,
) -> tuple[PrometheusUsageSource, PrometheusClient]:
    h = prometheus.history
    client = PrometheusClient(prometheus.url)
    source = PrometheusUsageSource(
        client_factory=lambda: client,
        context=UsageContext("prod", "collector", Provider.AWS, "us-east-1"),
        inventory=None,
        health=SourceHealth("prod", "prometheus"),
        publish=sink,
        checkpoints=MemoryCheckpoints(),
        options=PrometheusOptions(
            step_s=STEP,
            backfill_s=h.end - h.start - 600,
            lag_s=0,
            max_points_per_series=max_points_per_series,
            pod_batch_size=pod_batch_size,
        ),
        now=lambda: datetime.fromtimestamp(h.end, tz=UTC),
    )
    return source, client


def rows(event: UsageSampled) -> dict[tuple[str, str], dict[str, object]]:
    out: dict[tuple[str, str], dict[str, object]] = {}
    for node_usage in event.nodes:
        columns = node_usage.containers
        for i in range(len(columns)):
            row = {name: getattr(columns, name)[i] for name in columns.COLUMNS}
            row["node"] = node_usage.node.name
            out[(columns.pod[i], columns.container[i])] = row
    return out


@pytest.fixture(scope="module")
async def backfill(
    prometheus: RunningPrometheus,
) -> tuple[PrometheusUsageSource, Sink, int]:
    sink = Sink()
    source, client = make_source(prometheus, sink)
    published = await source.catch_up(client)
    await client.close()
    return source, sink, published


async def test_backfill_publishes_every_closed_window_once(
    backfill: tuple[PrometheusUsageSource, Sink, int], prometheus: RunningPrometheus
) -> None:
    _source, sink, published = backfill
    h = prometheus.history
    assert published == (h.end - h.start - 600) // STEP
    starts = sorted({e.window_start for e in sink.events()})
    assert len(starts) == published
    assert starts[0] == datetime.fromtimestamp(h.start + 600, tz=UTC)
    assert starts[-1] == datetime.fromtimestamp(h.end - STEP, tz=UTC)
    assert all(e.window_seconds == STEP and e.cluster == "prod" for e in sink.events())


async def test_usage_requests_and_workloads_come_from_the_metrics(
    backfill: tuple[PrometheusUsageSource, Sink, int], prometheus: RunningPrometheus
) -> None:
    _, sink, _ = backfill
    h = prometheus.history
    window = datetime.fromtimestamp(h.start + 1800, tz=UTC)
    [event] = [e for e in sink.events() if e.window_start == window]
    found = rows(event)
    app = found[("web-7d9f8-0", "app")]
    assert app["cpu_usage_millicores"] == 250
    assert app["cpu_peak_millicores"] == 250
    assert app["memory_usage_bytes"] == 200 * MIB
    assert app["cpu_request_millicores"] == 500
    assert app["memory_request_bytes"] == 256 * MIB
    assert app["memory_limit_bytes"] == 512 * MIB
    assert app["cpu_limit_millicores"] == NO_LIMIT
    assert app["cpu_throttled_ms"] == 500
    assert (app["workload_kind"], app["workload"], app["node"]) == (
        WorkloadKind.DEPLOYMENT,
        "web",
        "node-a",
    )
    assert found[("db-0", "db")]["workload_kind"] == WorkloadKind.STATEFULSET
    job = found[("nightly-290-x", "job")]
    assert (job["workload_kind"], job["workload"]) == (WorkloadKind.CRONJOB, "nightly")
    assert job["cpu_usage_millicores"] == 1000


async def test_node_facts_come_from_kube_state_metrics(
    backfill: tuple[PrometheusUsageSource, Sink, int],
) -> None:
    _, sink, _ = backfill
    nodes = {n.node.name: n.node for n in sink.events()[0].nodes}
    a, b = nodes["node-a"], nodes["node-b"]
    assert (a.instance_type, a.zone, a.capacity_type) == ("m5.xlarge", "us-east-1a", "on_demand")
    assert (a.cpu_capacity_millicores, a.memory_capacity_bytes) == (4000, 16 * GIB)
    assert (b.capacity_type, b.architecture, b.zone) == (CapacityType.SPOT, "arm64", "us-east-1b")


async def test_one_oom_kill_in_exactly_one_window(
    backfill: tuple[PrometheusUsageSource, Sink, int], prometheus: RunningPrometheus
) -> None:
    _, sink, _ = backfill
    db = [(e.window_start, rows(e)[("db-0", "db")]) for e in sink.events()]
    killed = [(start, row) for start, row in db if row["oom_kills"]]
    assert len(killed) == 1
    start, row = killed[0]
    oom_at = datetime.fromtimestamp(prometheus.history.oom_at, tz=UTC)
    assert start < oom_at <= start + timedelta(seconds=STEP)
    assert (row["oom_kills"], row["restarts"]) == (1, 1)


async def test_a_finished_pod_leaves_the_later_windows(
    backfill: tuple[PrometheusUsageSource, Sink, int],
) -> None:
    _, sink, _ = backfill
    events = sorted(sink.events(), key=lambda e: e.window_start)
    assert ("nightly-290-x", "job") in rows(events[0])
    assert ("nightly-290-x", "job") not in rows(events[-1])
    assert {n.node.name for n in events[-1].nodes} == {"node-a", "node-b"}


async def test_a_second_run_resumes_after_the_checkpoint(
    backfill: tuple[PrometheusUsageSource, Sink, int], prometheus: RunningPrometheus
) -> None:
    source, sink, _ = backfill
    client = PrometheusClient(prometheus.url)
    before = len(sink.messages)
    assert await source.catch_up(client) == 0
    assert len(sink.messages) == before
    await client.close()


async def test_small_chunks_and_pod_batches_give_the_same_events(
    backfill: tuple[PrometheusUsageSource, Sink, int], prometheus: RunningPrometheus
) -> None:
    _, whole, _ = backfill
    sink = Sink()
    source, client = make_source(prometheus, sink, max_points_per_series=4, pod_batch_size=1)
    await source.catch_up(client)
    assert [m.payload for m in sink.messages] == [m.payload for m in whole.messages]
    # 9 chunks of at most 4 windows, each: 5 cluster queries, pod discovery, 11 per pod.
    assert client.queries >= 1 + 9 * (5 + 1 + 11)
    await client.close()
