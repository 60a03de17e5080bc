"""Usage messages (columnar contract, sizing, ids, bytes) and inventory events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from pydantic import ValidationError

from kubeopt_collector.simulator.events import MAX_MESSAGE_BYTES
from kubeopt_collector.simulator.scenario import DEMO_SCENARIO, load_scenario
from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_common.events import NO_LIMIT, ContainerColumns, UsageSampled, event_id_for
from tests.collector.builders import cluster, container, pool, scenario, workload
from tests.collector.samples import placed_samples

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


def mixed_source(*, max_samples: int) -> SimulatorSource:
    c = cluster(
        pools=[
            pool(count=6),
            pool("big", count=1, zones=("zone-a",), tainted=True),
            pool("idle", count=2, tainted=True),
        ],
        workloads=[
            workload("agent", kind="DaemonSet", containers=[container(cpu="10m", memory="10Mi")]),
            workload("api", replicas=7, containers=[container("app"), container("proxy")]),
            workload("dense", replicas=8, node_pool="big", containers=[container(cpu="10m")]),
        ],
    )
    return SimulatorSource(scenario(c), max_samples_per_message=max_samples)


def test_messages_carry_whole_nodes_in_name_order() -> None:
    source = mixed_source(max_samples=5)
    events = source.usage_events(T0)
    names = [n.node.name for e in events for n in e.nodes]
    all_nodes = sorted(n.name for n in source.fleet.clusters[0].nodes)
    assert names == all_nodes  # every node once, idle nodes too, sorted
    for event in events:
        assert event.sample_count <= 5 or len(event.nodes) == 1
        assert event.window_start == T0
        assert event.window_seconds == 60
        assert event.occurred_at == datetime(2025, 1, 6, 12, 1, tzinfo=UTC)
    big = next(e for e in events if any(n.node.name == "c1-big-0" for n in e.nodes))
    assert len(big.nodes) == 1
    assert big.sample_count == 9  # bigger than the limit: alone in its message
    idle = [n for e in events for n in e.nodes if n.node.node_pool == "idle"]
    assert [len(n.containers) for n in idle] == [1, 1]  # only the DaemonSet runs there


def test_samples_are_all_published_once() -> None:
    source = mixed_source(max_samples=5)
    events = source.usage_events(T0)
    rows = [(p.sample.pod, p.sample.container) for p in placed_samples(events)]
    assert len(rows) == len(set(rows))
    assert sum(e.sample_count for e in events) == 9 + 14 + 8


def test_event_ids_are_deterministic_and_name_the_node_range() -> None:
    source = mixed_source(max_samples=5)
    first = source.usage_events(T0)
    again = mixed_source(max_samples=5).usage_events(T0)
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert [e.model_dump_json() for e in first] == [e.model_dump_json() for e in again]
    payloads = [m.payload for m in source.usage_messages(T0)]
    assert payloads == [m.payload for m in mixed_source(max_samples=5).usage_messages(T0)]
    epoch = int(T0.timestamp())
    for event in first:
        expected = event_id_for(
            "usage", "c1", epoch, event.nodes[0].node.name, event.nodes[-1].node.name
        )
        assert event.event_id == expected


def test_large_windows_are_split_below_the_size_limit() -> None:
    labels = {"app.kubernetes.io/name": "crowd", "app.kubernetes.io/part-of": "load-test-suite"}
    crowds = [
        workload(name, replicas=6000, labels=labels, containers=[container(cpu="5m", memory="8Mi")])
        for name in ("crowd", "horde")
    ]
    source = SimulatorSource(
        scenario(cluster(pools=[pool(count=40)], workloads=crowds)),
        max_samples_per_message=100_000,
    )
    messages = source.usage_messages(T0)
    sizes = [len(m.payload) for m in messages]
    assert len(messages) > 1
    assert max(sizes) < MAX_MESSAGE_BYTES
    assert min(sizes[:-1]) > MAX_MESSAGE_BYTES // 2  # the size estimate does not waste half
    assert sum(m.samples for m in messages) == 12_000
    inventory = source.inventory_events(T0)
    assert len(inventory) > 1
    assert {e.snapshot_id for e in inventory} == {f"c1-{int(T0.timestamp())}"}
    assert [(e.part, e.parts) for e in inventory] == [
        (i, len(inventory)) for i in range(len(inventory))
    ]
    assert max(len(e.model_dump_json()) for e in inventory) < MAX_MESSAGE_BYTES
    assert sum(len(e.pods) for e in inventory) == 12_000


def test_inventory_describes_the_cluster() -> None:
    source = mixed_source(max_samples=5)
    (snapshot,) = source.inventory_events(T0)
    assert snapshot.kind == "full"
    assert snapshot.provider == "aws"
    assert snapshot.region == "us-east-1"
    assert snapshot.taken_at == T0
    assert len(snapshot.nodes) == 9
    assert {w.name for w in snapshot.workloads} == {"agent", "api", "dense"}
    assert [n.name for n in snapshot.namespaces] == ["apps"]
    assert len(snapshot.pods) == 9 + 7 + 8
    assert all(p.node for p in snapshot.pods)
    assert snapshot.event_id == source.inventory_events(T0)[0].event_id


def test_pending_pods_are_in_the_inventory_without_a_node() -> None:
    c = cluster(pools=[pool(), pool("gpu", count=0)], workloads=[workload(node_pool="gpu")])
    source = SimulatorSource(scenario(c))
    (snapshot,) = source.inventory_events(T0)
    assert [p.node for p in snapshot.pods] == [""]
    assert source.usage_events(T0)[0].sample_count == 0


def test_nodes_with_nothing_running_are_published_with_empty_columns() -> None:
    c = cluster(pools=[pool(count=1), pool("spare", count=2, tainted=True)])
    events = SimulatorSource(scenario(c)).usage_events(T0)
    spare = [n for e in events for n in e.nodes if n.node.node_pool == "spare"]
    assert [n.node.name for n in spare] == ["c1-spare-0", "c1-spare-1"]
    for node in spare:
        assert all(getattr(node.containers, name) == [] for name in ContainerColumns.COLUMNS)


def test_columns_line_up_with_the_fleet() -> None:
    api = workload(
        "api",
        replicas=5,
        labels={"app": "api"},
        containers=[
            container("app", cpu="300m", memory="1Gi", limits={"cpu": "1", "memory": "2Gi"}),
            container("proxy", cpu="20m", memory="64Mi"),
        ],
    )
    agent = workload("agent", kind="DaemonSet", labels={"app": "agent"})
    source = SimulatorSource(scenario(cluster(pools=[pool(count=3)], workloads=[api, agent])))
    fleet = source.fleet.clusters[0]
    expected = {}
    for pod in fleet.pods:
        w = fleet.workloads[pod.workload].contract
        assert pod.node is not None
        for index in pod.containers:
            spec = fleet.containers[index].spec
            limits = (spec.cpu_limit_millicores or NO_LIMIT, spec.memory_limit_bytes or NO_LIMIT)
            expected[(pod.name, spec.name)] = (
                fleet.nodes[pod.node].name,
                (w.namespace, w.kind, w.name),
                (spec.cpu_request_millicores, spec.memory_request_bytes, spec.gpu_request),
                limits,
            )
    got = {}
    for placed in placed_samples(source.usage_events(T0)):
        s = placed.sample
        got[(s.pod, s.container)] = (
            placed.node,
            (s.namespace, s.workload_kind, s.workload),
            (s.cpu_request_millicores, s.memory_request_bytes, s.gpu_request),
            (s.cpu_limit_millicores, s.memory_limit_bytes),
        )
    assert got == expected
    assert expected[(fleet.pods[0].name, "app")][3] == (1000, 2 * 2**30)
    assert expected[(fleet.pods[0].name, "proxy")][3] == (NO_LIMIT, NO_LIMIT)


def test_label_sets_are_interned_per_message_and_give_each_pod_its_labels() -> None:
    web = workload("web", replicas=4, labels={"app": "web", "tier": "frontend"})
    api = workload("api", replicas=4, labels={"app": "api", "tier": "backend"})
    bare = workload("bare", replicas=2)
    c = cluster(pools=[pool(count=4)], workloads=[web, api, bare])
    source = SimulatorSource(scenario(c), max_samples_per_message=3)
    events = source.usage_events(T0)
    assert len(events) > 1
    labels = {"web": {"app": "web", "tier": "frontend"}, "api": {"app": "api", "tier": "backend"},
              "bare": {}}  # fmt: skip
    for event in events:
        used = sorted({i for n in event.nodes for i in n.containers.label_set})
        assert used == list(range(len(event.label_sets)))  # only what it uses, from 0
        distinct = {tuple(sorted(s.items())) for s in event.label_sets}
        assert len(distinct) == len(event.label_sets)
        for placed in placed_samples([event]):
            assert placed.sample.labels == labels[placed.sample.workload]


def test_published_bytes_are_the_validated_contract_for_a_demo_day() -> None:
    demo = SimulatorSource(load_scenario(DEMO_SCENARIO))
    for minute in range(0, 24 * 60, 97):  # CronJob runs, HPA scaling, quiet hours
        window = T0 + timedelta(minutes=minute)
        for message in demo.usage_messages(window):
            event = UsageSampled.model_validate_json(message.payload)
            assert event.model_dump_json().encode() == message.payload
            assert UsageSampled.model_validate_json(event.model_dump_json()) == event
            assert (str(event.event_id), event.subject) == (message.msg_id, message.subject)
            assert event.sample_count == message.samples


def test_a_column_of_the_wrong_length_is_rejected_by_the_contract() -> None:
    (message,) = mixed_source(max_samples=1000).usage_messages(T0)
    data = orjson.loads(message.payload)
    columns = data["nodes"][0]["containers"]
    columns["cpu_usage_millicores"] = columns["cpu_usage_millicores"][:-1]
    length = len(columns["namespace"])
    with pytest.raises(ValidationError, match=f"every column must have {length} entries"):
        UsageSampled.model_validate_json(orjson.dumps(data))
