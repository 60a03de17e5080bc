"""The metrics-server source: samples metrics.k8s.io through the real client, publishes
whole-node usage per window joined with the inventory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.kube_objects import ResourceKind
from kubeopt_collector.domain.kube_parse import Parser
from kubeopt_collector.domain.prom_usage import UsageContext
from kubeopt_collector.health import SourceHealth, SourceMetrics
from kubeopt_collector.kube import KubeClient, KubeConnection
from kubeopt_collector.metrics_source import MetricsServerSource
from kubeopt_common.events import AssetKind, Provider, UsageSampled, WorkloadKind
from tests.collector import kube_fixtures as k
from tests.collector.fake_apiserver import FakeApiServer
from tests.collector.kube_rig import RecordingPublisher, populate

WINDOW = 300
T0 = int(datetime(2026, 11, 20, 10, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    fake = FakeApiServer().start()
    populate(fake)
    yield fake
    fake.stop()


def inventory_of(server: FakeApiServer) -> ClusterInventory:
    parser, inventory = Parser(), ClusterInventory()
    kinds = {
        "nodes": ResourceKind.NODE,
        "pods": ResourceKind.POD,
        "replicasets": ResourceKind.REPLICASET,
        "persistentvolumeclaims": ResourceKind.PVC,
        "services": ResourceKind.SERVICE,
    }
    for resource, kind in kinds.items():
        inventory.load(
            kind, [parser.parse(kind, o) for o in server.state.objects[resource].values()]
        )
    return inventory


def metrics_source(
    server: FakeApiServer, publisher: RecordingPublisher, health: SourceHealth, clock: list[int]
) -> MetricsServerSource:
    return MetricsServerSource(
        client_factory=lambda: KubeClient(KubeConnection(mode="token", host=server.url)),
        context=UsageContext("prod", "collector", Provider.AWS, "us-east-1", "metrics_server"),
        inventory=inventory_of(server),
        health=health,
        publish=publisher,
        window_s=WINDOW,
        now=lambda: datetime.fromtimestamp(clock[0], tz=UTC),
    )


async def test_samples_average_into_one_window_of_whole_nodes(server: FakeApiServer) -> None:
    clock = [T0 + 10]
    publisher = RecordingPublisher()
    registry = CollectorRegistry()
    health = SourceHealth("prod", "metrics_server", metrics=SourceMetrics.create(registry))
    source = metrics_source(server, publisher, health, clock)
    client = KubeClient(KubeConnection(mode="token", host=server.url))
    for cpu, memory in (("200m", "100Mi"), ("37482985n", "102400Ki"), ("300m", "300Mi")):
        server.set_metrics(
            "pods",
            [
                k.pod_metrics("web-7d9f8-0", "shop", {"app": {"cpu": cpu, "memory": memory}}),
                k.pod_metrics("ghost", "shop", {"app": {"cpu": "1", "memory": "1Mi"}}),
                k.pod_metrics("db-0", "shop", {"app": {"cpu": "lots", "memory": "1Mi"}}),
            ],
        )
        await source.sample(client)
        clock[0] += 60
    assert publisher.messages == []
    clock[0] = T0 + WINDOW + 5  # the next window's first sample closes the first one
    await source.sample(client)
    client.close()

    [event] = [UsageSampled.model_validate_json(m.payload) for m in publisher.messages]
    assert event.window_start == datetime.fromtimestamp(T0, tz=UTC)
    assert event.window_seconds == WINDOW
    assert {n.node.name for n in event.nodes} == {"node-a", "node-b"}  # idle nodes too
    node_a = next(n for n in event.nodes if n.node.name == "node-a")
    columns = node_a.containers
    i = columns.pod.index("web-7d9f8-0")
    assert columns.cpu_usage_millicores[i] == (200 + 38 + 300) // 3
    assert columns.cpu_peak_millicores[i] == 300
    assert columns.memory_peak_bytes[i] == 300 * 2**20
    assert (columns.workload_kind[i], columns.workload[i]) == (WorkloadKind.DEPLOYMENT, "web")
    assert columns.cpu_request_millicores[i] == 250
    assert health.skipped == 4 + 1  # the unreadable quantity per sample, the unknown pod once
    skipped = registry.get_sample_value(
        "kubeopt_collector_input_skipped_total",
        {
            "cluster": "prod",
            "source": "metrics_server",
            "kind": "PodMetrics",
            "reason": "unreadable",
        },
    )
    assert skipped == 4


async def test_a_window_carries_the_claims_and_load_balancer_shares_of_its_pods(
    server: FakeApiServer,
) -> None:
    clock = [T0 + 10]
    publisher = RecordingPublisher()
    source = metrics_source(server, publisher, SourceHealth("prod", "metrics_server"), clock)
    client = KubeClient(KubeConnection(mode="token", host=server.url))
    usage = {"cpu": "100m", "memory": "100Mi"}
    server.set_metrics(
        "pods",
        [
            k.pod_metrics("web-7d9f8-1", "shop", {"app": usage, "proxy": usage}),
            k.pod_metrics("web-7d9f8-0", "shop", {"proxy": usage, "app": usage}),
            k.pod_metrics("db-0", "shop", {"app": usage}),
        ],
    )
    await source.sample(client)
    clock[0] = T0 + WINDOW + 5
    await source.sample(client)
    client.close()

    [event] = [UsageSampled.model_validate_json(m.payload) for m in publisher.messages]
    found = {
        (node.node.name, node.containers.pod[a.container], a.kind, a.name): (
            node.containers.container[a.container],
            a.storage_class,
            a.size_bytes,
            a.sharers,
            a.rank,
        )
        for node in event.nodes
        for a in node.assets
    }
    pv, lb = AssetKind.PERSISTENT_VOLUME, AssetKind.LOAD_BALANCER
    assert found == {
        # LoadBalancer 'web' selects both web pods, ranked by name; ClusterIP 'db' costs nothing.
        ("node-a", "web-7d9f8-0", lb, "web"): ("app", "", 0, 2, 0),
        ("node-b", "web-7d9f8-1", lb, "web"): ("app", "", 0, 2, 1),
        ("node-a", "db-0", pv, "data-db-0"): ("app", "gp3", 20 * 2**30, 1, 0),
    }
