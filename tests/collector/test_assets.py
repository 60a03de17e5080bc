"""Simulator pod assets: claims and LoadBalancer shares on usage messages, ranked once per
window across messages, on the row of the pod's first container."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from kubeopt_collector.simulator.columns import FleetColumns
from kubeopt_collector.simulator.events import MAX_MESSAGE_BYTES
from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_common.events import AssetKind, PodAsset, UsageSampled
from tests.collector.builders import cluster, container, pool, scenario, workload

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
GIB = 2**30


@dataclass(frozen=True)
class Held:
    message: int
    node: str
    pod: str
    workload: str
    container: str
    asset: PodAsset


def held(events: list[UsageSampled]) -> list[Held]:
    """Every asset of ``events``, checked to sit on the first row of its pod in its node."""
    out = []
    for number, event in enumerate(events):
        for node in event.nodes:
            c = node.containers
            for asset in node.assets:
                pod = c.pod[asset.container]
                assert c.pod.index(pod) == asset.container, "not the pod's first row"
                out.append(
                    Held(
                        number,
                        node.node.name,
                        pod,
                        c.workload[asset.container],
                        c.container[asset.container],
                        asset,
                    )
                )
    return out


def by_name(found: list[Held]) -> dict[str, list[Held]]:
    groups: dict[str, list[Held]] = defaultdict(list)
    for h in found:
        groups[h.asset.name].append(h)
    return groups


def running_pods(events: list[UsageSampled], workload_name: str) -> set[str]:
    return {
        pod
        for event in events
        for node in event.nodes
        for pod, name in zip(node.containers.pod, node.containers.workload, strict=True)
        if name == workload_name
    }


def test_claims_are_shared_by_their_pods_and_ranked_once_across_messages() -> None:
    api = workload(
        "api",
        replicas=5,
        containers=[container("app"), container("proxy")],
        volumes=[
            {"name": "uploads", "type": "pvc", "size": "20Gi", "storage_class": "efs-sc"},
            {"name": "scratch", "type": "empty_dir"},
            {"name": "logs", "type": "host_path"},
            {"name": "fast", "type": "local_pv", "size": "100Gi"},
        ],
    )
    db = workload(
        "db",
        kind="StatefulSet",
        replicas=2,
        containers=[container("postgres"), container("exporter")],
        volumes=[{"name": "data", "type": "pvc", "size": "10Gi", "storage_class": "gp3"}],
    )
    c = cluster(pools=[pool(count=4)], workloads=[api, db, workload("plain", replicas=2)])
    events = SimulatorSource(scenario(c), max_samples_per_message=3).usage_events(T0)
    found = by_name(held(events))
    # Node-local volumes are in the node's price: only the claims are assets.
    assert set(found) == {"api-uploads", "data-db-0", "data-db-1"}
    uploads = found["api-uploads"]
    assert len({h.message for h in uploads}) > 1  # the sharers are spread over messages
    assert sorted(h.asset.rank for h in uploads) == [0, 1, 2, 3, 4]
    assert {h.asset.sharers for h in uploads} == {5}
    assert {h.pod for h in uploads} == running_pods(events, "api")
    assert {(h.asset.kind, h.asset.storage_class, h.asset.size_bytes) for h in uploads} == {
        (AssetKind.PERSISTENT_VOLUME, "efs-sc", 20 * GIB)
    }
    assert {h.container for h in uploads} == {"app"}
    for ordinal in (0, 1):
        [own] = found[f"data-db-{ordinal}"]
        assert (own.pod, own.container) == (f"db-{ordinal}", "postgres")
        assert (own.asset.sharers, own.asset.rank, own.asset.size_bytes) == (1, 0, 10 * GIB)
        assert own.asset.storage_class == "gp3"


def test_load_balancer_shares_follow_the_running_pods() -> None:
    diurnal = {"type": "diurnal", "cpu": "60%", "amplitude": 1.0, "noise": 0, "jitter": 0}
    web = workload(
        "web",
        replicas=3,
        hpa={"min_replicas": 1, "max_replicas": 6, "target_utilization_pct": 50},
        services=[{"name": "public", "type": "LoadBalancer"}, {"name": "internal"}],
        containers=[container("nginx", profile=diurnal), container("app", profile=diurnal)],
    )
    c = cluster(pools=[pool(count=3)], workloads=[web, workload("plain", replicas=3)])
    source = SimulatorSource(scenario(c), max_samples_per_message=4)
    sharers_seen = set()
    for hour in range(0, 24, 2):
        events = source.usage_events(T0 + timedelta(hours=hour))
        found = held(events)
        running = running_pods(events, "web")
        assert {h.asset.name for h in found} == {"web-public"}  # the ClusterIP costs nothing
        assert {(h.workload, h.container, h.asset.kind) for h in found} == {
            ("web", "nginx", AssetKind.LOAD_BALANCER)
        }
        assert sorted(h.pod for h in found) == sorted(running)  # every running pod, once
        assert sorted(h.asset.rank for h in found) == list(range(len(running)))
        assert {h.asset.sharers for h in found} == {len(running)}
        sharers_seen.add(len(running))
    assert len(sharers_seen) > 1  # the HPA scaled: the load balancer is split differently


def test_a_cronjob_claim_is_held_only_while_a_run_is_active() -> None:
    report = workload(
        "report",
        kind="CronJob",
        schedule="*/30 * * * *",
        replicas=2,
        containers=[container("report", profile={"type": "batch", "duration_minutes": 10})],
        volumes=[{"name": "out", "type": "pvc", "size": "1Gi"}],
    )
    source = SimulatorSource(scenario(cluster(workloads=[report])))
    during = held(source.usage_events(T0 + timedelta(minutes=3)))
    assert sorted((h.asset.name, h.asset.sharers, h.asset.rank) for h in during) == [
        ("report-out", 2, 0),
        ("report-out", 2, 1),
    ]
    assert all(h.pod.startswith("report-") and h.pod != "report" for h in during)  # run names
    assert held(source.usage_events(T0 + timedelta(minutes=15))) == []


def test_size_estimates_count_the_assets() -> None:
    pvcs = [{"name": f"v{i}", "type": "pvc", "size": "123456789Ki"} for i in range(3)]
    lbs = [{"name": f"lb{i}", "type": "LoadBalancer"} for i in range(2)]
    crowd = workload("crowd", replicas=4000, volumes=pvcs, services=lbs,
                     containers=[container(cpu="5m", memory="8Mi")])  # fmt: skip
    shards = workload("shard", kind="StatefulSet", replicas=2000, volumes=pvcs,
                      containers=[container(cpu="5m", memory="8Mi")])  # fmt: skip
    source = SimulatorSource(
        scenario(cluster(pools=[pool(count=12)], workloads=[crowd, shards])),
        max_samples_per_message=100_000,
    )
    fleet = source.fleet.clusters[0]
    start_s = int(T0.timestamp())
    window = FleetColumns(fleet).window(
        source.activity(fleet.name, start_s), source.usage_arrays(fleet.name, T0)
    )
    messages = source.usage_messages(T0)
    assert len(messages) > 1
    assert max(len(m.payload) for m in messages) < MAX_MESSAGE_BYTES
    nodes: list[Any] = []
    for message in messages:
        event = UsageSampled.model_validate_json(message.payload)
        assert event.model_dump_json().encode() == message.payload
        nodes += [(node, event.label_sets) for node in event.nodes]
    assert sum(len(node.assets) for node, _ in nodes) == 6000 * 3 + 4000 * 2
    for (node, label_sets), estimate in zip(nodes, window.node_bytes, strict=True):
        actual = len(node.model_dump_json()) + 1
        actual += sum(len(orjson.dumps(label_sets[i])) + 1 for i in set(node.containers.label_set))
        assert actual <= estimate
