"""The Kubernetes inventory source driving the real client against the fake API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.snapshot import SnapshotHeader
from kubeopt_collector.health import Backoff, SourceHealth, SourceMetrics, SourceState
from kubeopt_collector.inventory_source import InventoryOptions, KubernetesInventorySource
from kubeopt_collector.kube import KubeClient, KubeConnection
from kubeopt_common.events import CapacityType, InventorySnapshotted, Provider, WorkloadKind
from tests.collector.fake_apiserver import FakeApiServer
from tests.collector.kube_rig import RecordingPublisher, populate

OPTIONS = InventoryOptions(
    page_size=2,
    watch_timeout_s=2,
    resync_s=3600,
    delta_flush_s=0.05,
    backoff=Backoff(base_s=0.01, max_s=0.05, jitter=False),
)


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    fake = FakeApiServer(token="s3cret").start()
    populate(fake)
    yield fake
    fake.stop()


class Running:
    def __init__(self, source: KubernetesInventorySource, publisher: RecordingPublisher) -> None:
        self.source = source
        self.publisher = publisher

    async def until(self, predicate: object, what: str) -> None:
        assert callable(predicate)
        async with asyncio.timeout(10):
            while not predicate():
                await asyncio.sleep(0.02)


@pytest.fixture
async def running(server: FakeApiServer) -> AsyncIterator[Running]:
    publisher = RecordingPublisher()
    connection = KubeConnection(mode="token", host=server.url, token="s3cret")
    source = KubernetesInventorySource(
        client_factory=lambda: KubeClient(connection),
        header=SnapshotHeader("prod", "collector", Provider.AWS, "us-east-1"),
        inventory=ClusterInventory(),
        health=SourceHealth("prod", "kubernetes", metrics=SourceMetrics.create()),
        publish=publisher,
        options=OPTIONS,
    )
    task = asyncio.create_task(source.run())
    rig = Running(source, publisher)
    await rig.until(lambda: publisher.inventory(), "a full snapshot")
    yield rig
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def full(publisher: RecordingPublisher) -> InventorySnapshotted:
    [snapshot] = [e for e in publisher.inventory() if e.kind == "full"]
    return snapshot


async def test_first_snapshot_is_full_and_resolves_owners(running: Running) -> None:
    snapshot = full(running.publisher)
    assert (snapshot.cluster, snapshot.provider, snapshot.region) == ("prod", "aws", "us-east-1")
    assert snapshot.parts == 1
    pods = {p.name: p for p in snapshot.pods}
    assert (pods["web-7d9f8-0"].workload_kind, pods["web-7d9f8-0"].workload) == (
        WorkloadKind.DEPLOYMENT,
        "web",
    )
    assert (pods["db-0"].workload_kind, pods["db-0"].workload) == (WorkloadKind.STATEFULSET, "db")
    assert (pods["agent-x1"].workload_kind, pods["agent-x1"].workload) == (
        WorkloadKind.DAEMONSET,
        "agent",
    )
    nightly = pods["nightly-29000000-abcde"]
    assert (nightly.workload_kind, nightly.workload) == (WorkloadKind.CRONJOB, "nightly")
    assert (pods["debug"].workload_kind, pods["debug"].workload) == (WorkloadKind.POD, "debug")
    web = pods["web-7d9f8-0"]
    assert [c.name for c in web.containers] == ["app", "proxy"]
    assert web.containers[0].cpu_request_millicores == 250
    assert web.containers[0].memory_request_bytes == 256 * 2**20
    assert web.containers[0].memory_limit_bytes == 512 * 2**20
    assert web.containers[0].cpu_limit_millicores is None
    [volume] = pods["db-0"].volumes
    assert (volume.claim, volume.storage_class, volume.size_bytes) == (
        "data-db-0",
        "gp3",
        20 * 2**30,
    )


async def test_nodes_carry_provider_facts(running: Running) -> None:
    nodes = {n.name: n for n in full(running.publisher).nodes}
    a, b = nodes["node-a"], nodes["node-b"]
    assert (a.instance_type, a.zone, a.capacity_type, a.architecture) == (
        "m5.xlarge",
        "us-east-1a",
        CapacityType.ON_DEMAND,
        "amd64",
    )
    assert a.cpu_capacity_millicores == 4000
    assert a.memory_capacity_bytes == 16006428 * 1024
    assert (b.capacity_type, b.architecture, b.node_pool) == (CapacityType.SPOT, "arm64", "burst")


async def test_workloads_carry_hpa_pdb_and_controller_settings(running: Running) -> None:
    snapshot = full(running.publisher)
    workloads = {(w.kind, w.name): w for w in snapshot.workloads}
    web = workloads[(WorkloadKind.DEPLOYMENT, "web")]
    assert web.replicas == 3
    assert web.hpa is not None
    assert (web.hpa.metric, web.hpa.target_utilization_pct, web.hpa.max_replicas) == ("cpu", 70, 10)
    assert web.pdb is not None
    assert web.pdb.min_available == 2  # 50 % of 3, rounded up
    assert (web.node_pool, web.max_surge_pct, web.termination_grace_period_s) == ("burst", 50, 45)
    assert workloads[(WorkloadKind.CRONJOB, "nightly")].schedule == "0 2 * * *"
    assert workloads[(WorkloadKind.DAEMONSET, "agent")].replicas == 2
    assert (WorkloadKind.JOB, "nightly-29000000") not in workloads  # a CronJob's run
    assert (WorkloadKind.POD, "debug") in workloads
    assert {n.name: n.labels for n in snapshot.namespaces}["shop"] == {"team": "web"}


async def test_lists_are_paged_and_authenticated(running: Running, server: FakeApiServer) -> None:
    lists = server.list_requests("pods")
    assert len(lists) == 3  # 5 pods, 2 per page
    assert "limit=2" in lists[0]
    assert "continue=2" in lists[1]
    assert running.source.health.state is SourceState.OK
