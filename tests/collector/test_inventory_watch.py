"""Watch behaviour of the inventory source: deltas, bookmarks, 410 Gone, dropped
connections, unreadable objects and an unreachable API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import pytest
from prometheus_client import CollectorRegistry

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.snapshot import SnapshotHeader
from kubeopt_collector.health import Backoff, SourceHealth, SourceMetrics, SourceState
from kubeopt_collector.inventory_source import InventoryOptions, KubernetesInventorySource
from kubeopt_collector.kube import KubeClient, KubeConnection
from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_common.events import InventorySnapshotted, ObjectRef, Provider
from tests.collector import kube_fixtures as k
from tests.collector.fake_apiserver import FakeApiServer
from tests.collector.kube_rig import RecordingPublisher, populate

OPTIONS = InventoryOptions(
    page_size=100,
    watch_timeout_s=30,
    resync_s=3600,
    delta_flush_s=0.05,
    backoff=Backoff(base_s=0.01, max_s=0.05, jitter=False),
)


async def eventually(predicate: Callable[[], object]) -> None:
    async with asyncio.timeout(10):
        while not predicate():
            await asyncio.sleep(0.02)


class Rig:
    def __init__(self, server: FakeApiServer, url: str) -> None:
        self.server = server
        self.publisher = RecordingPublisher()
        self.registry = CollectorRegistry()
        self.health = SourceHealth(
            "prod", "kubernetes", metrics=SourceMetrics.create(self.registry)
        )
        connection = KubeConnection(mode="token", host=url)
        self.source = KubernetesInventorySource(
            client_factory=lambda: KubeClient(connection),
            header=SnapshotHeader("prod", "collector", Provider.AWS, "us-east-1"),
            inventory=ClusterInventory(),
            health=self.health,
            publish=self.publisher,
            options=OPTIONS,
        )

    def deltas(self) -> list[InventorySnapshotted]:
        return [e for e in self.publisher.inventory() if e.kind == "delta"]

    def delta_pods(self) -> set[str]:
        return {p.name for d in self.deltas() for p in d.pods}

    def removed(self) -> list[ObjectRef]:
        return [r for d in self.deltas() for r in d.removed]

    def skipped(self, kind: str) -> float:
        value = self.registry.get_sample_value(
            "kubeopt_collector_input_skipped_total",
            {"cluster": "prod", "source": "kubernetes", "kind": kind, "reason": "unreadable"},
        )
        return value or 0.0


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    fake = FakeApiServer().start()
    populate(fake)
    yield fake
    fake.stop()


@pytest.fixture
async def rig(server: FakeApiServer) -> AsyncIterator[Rig]:
    rig = Rig(server, server.url)
    task = asyncio.create_task(rig.source.run())
    await eventually(lambda: rig.publisher.inventory())
    yield rig
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_watch_events_become_deltas(rig: Rig) -> None:
    rig.server.add(
        "pods", k.pod("web-7d9f8-2", owner=("apps/v1", "ReplicaSet", "web-7d9f8"), ip="10.1.0.12")
    )
    await eventually(lambda: "web-7d9f8-2" in rig.delta_pods())
    rig.server.delete("pods", "shop", "debug")
    await eventually(lambda: ObjectRef(kind="Pod", namespace="shop", name="debug") in rig.removed())
    rig.server.modify("deployments", k.deployment("web", replicas=5))
    await eventually(lambda: any(w.replicas == 5 for d in rig.deltas() for w in d.workloads))
    assert rig.source.inventory.pod("shop", "debug") is None
    new_pod = next(p for d in rig.deltas() for p in d.pods if p.name == "web-7d9f8-2")
    assert new_pod.workload == "web"


async def test_a_bookmark_moves_the_resume_point(rig: Rig, server: FakeApiServer) -> None:
    server.bookmark("pods")
    bookmark_version = server.state.version
    await eventually(lambda: rig.health.last_seen_at is not None)
    watches = len(server.watch_requests("pods"))
    await asyncio.sleep(0.1)  # the bookmark reaches the client
    server.end_watches("pods")
    await eventually(lambda: len(server.watch_requests("pods")) > watches)
    assert f"resourceVersion={bookmark_version}&" in server.watch_requests("pods")[-1]


async def test_410_gone_relists_and_catches_up(rig: Rig, server: FakeApiServer) -> None:
    lists_before = len(server.list_requests("pods"))
    server.add("pods", k.pod("while-away", ip="10.1.0.51"), quiet=True)
    server.delete("pods", "shop", "debug", quiet=True)
    server.compact()
    server.end_watches("pods")
    await eventually(lambda: "while-away" in rig.delta_pods())
    reflector = next(r for r in rig.source.reflectors if r.kind.value == "Pod")
    assert reflector.relists == 1
    assert len(server.list_requests("pods")) == lists_before + 1
    assert ObjectRef(kind="Pod", namespace="shop", name="debug") in rig.removed()
    relisted = rig.registry.get_sample_value(
        "kubeopt_collector_relists_total", {"cluster": "prod", "kind": "Pod"}
    )
    assert relisted == 1


async def test_a_dropped_connection_resumes_the_watch_without_a_relist(
    rig: Rig, server: FakeApiServer
) -> None:
    lists_before = len(server.list_requests("nodes"))
    server.add("nodes", k.node("node-c", ip="10.0.1.12"))
    await eventually(lambda: rig.source.inventory.node("node-c") is not None)
    resume_from = server.state.version
    server.drop_next_watch("nodes")
    await eventually(lambda: len(server.watch_requests("nodes")) >= 2)
    server.add("nodes", k.node("node-d", ip="10.0.1.13"))
    await eventually(lambda: rig.source.inventory.node("node-d") is not None)
    assert len(server.list_requests("nodes")) == lists_before
    assert f"resourceVersion={resume_from}&" in server.watch_requests("nodes")[1]
    errors = rig.registry.get_sample_value(
        "kubeopt_collector_source_errors_total", {"cluster": "prod", "source": "kubernetes"}
    )
    assert errors == 1
    assert rig.health.state is SourceState.OK


async def test_unreadable_objects_are_counted_and_skipped(rig: Rig, server: FakeApiServer) -> None:
    bad = k.pod("bad-quantity", containers=[k.container(cpu="a lot")], ip="10.1.0.60")
    server.add("pods", bad)
    server.raw_event("pods", {"type": "ADDED", "object": "not an object"})
    server.add("pods", k.pod("fine-after", ip="10.1.0.61"))
    await eventually(lambda: rig.source.inventory.pod("shop", "fine-after") is not None)
    assert rig.source.inventory.pod("shop", "bad-quantity") is None
    assert rig.skipped("Pod") == 2
    assert rig.health.skipped == 2
    assert rig.health.state is SourceState.OK


async def test_unreadable_objects_in_a_list_are_skipped(server: FakeApiServer) -> None:
    server.add("nodes", k.node("broken", cpu="four", ip="10.0.1.99"))
    rig = Rig(server, server.url)
    task = asyncio.create_task(rig.source.run())
    try:
        await eventually(lambda: rig.publisher.inventory())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    [snapshot] = rig.publisher.inventory()
    assert {n.name for n in snapshot.nodes} == {"node-a", "node-b"}
    assert rig.skipped("Node") == 1


async def test_an_unreachable_api_server_is_retried_with_a_clear_status(
    server: FakeApiServer,
) -> None:
    server.fail_next("pods", 503, times=3)
    rig = Rig(server, server.url)
    task = asyncio.create_task(rig.source.run())
    try:
        await eventually(lambda: rig.health.consecutive_failures >= 1)
        assert rig.health.state is SourceState.RETRYING
        assert rig.health.last_error is not None
        assert "HTTP 503" in rig.health.last_error
        await eventually(lambda: rig.publisher.inventory())
        assert rig.health.state.value == "ok"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_no_api_server_at_all(unused_port_url: str) -> None:
    rig = Rig(FakeApiServer(), unused_port_url)
    task = asyncio.create_task(rig.source.run())
    try:
        await eventually(lambda: rig.health.consecutive_failures >= 2)
        assert rig.health.state is SourceState.RETRYING
        assert rig.health.next_retry_at is not None
        assert "list" in (rig.health.last_error or "")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
def unused_port_url() -> str:
    from kubeopt_common.bus.server import free_port

    return f"http://127.0.0.1:{free_port()}"


async def test_a_failed_publish_is_retried_with_a_full_snapshot(server: FakeApiServer) -> None:
    rig = Rig(server, server.url)
    calls = 0
    record = rig.publisher

    async def flaky(messages: Sequence[OutgoingMessage]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("nats: connection closed")
        await record(messages)

    rig.source._publish = flaky
    task = asyncio.create_task(rig.source.run())
    try:
        await eventually(lambda: record.inventory())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert "connection closed" in (rig.health.last_error or "")
    assert record.inventory()[0].kind == "full"
