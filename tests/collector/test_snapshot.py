"""Inventory snapshots: large ones split into valid parts under the message limit; deltas."""

from __future__ import annotations

from datetime import UTC, datetime

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.kube_objects import ResourceKind
from kubeopt_collector.domain.kube_parse import Parser
from kubeopt_collector.domain.snapshot import (
    MAX_MESSAGE_BYTES,
    SnapshotHeader,
    delta_objects,
    full_objects,
    iter_parts,
    plan,
    snapshot_parts,
)
from kubeopt_common.events import InventorySnapshotted, ObjectRef, Provider
from tests.collector.kube_fleet import make_deployment, make_node, make_pod, make_replicaset

HEADER = SnapshotHeader("big", "collector", Provider.AWS, "us-east-1")
AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def fleet(pods: int) -> ClusterInventory:
    parser, inventory = Parser(), ClusterInventory()
    nodes = max(1, pods // 30)
    inventory.load(
        ResourceKind.NODE, [parser.parse(ResourceKind.NODE, make_node(i)) for i in range(nodes)]
    )
    deployments = -(-pods // 30)
    for kind, make in (
        (ResourceKind.DEPLOYMENT, make_deployment),
        (ResourceKind.REPLICASET, make_replicaset),
    ):
        inventory.load(kind, [parser.parse(kind, make(i)) for i in range(deployments)])
    inventory.load(
        ResourceKind.POD, [parser.parse(ResourceKind.POD, make_pod(i, nodes)) for i in range(pods)]
    )
    return inventory


def test_a_large_snapshot_splits_into_valid_parts() -> None:
    inventory = fleet(6000)
    parts = snapshot_parts(full_objects(inventory), header=HEADER, kind="full", taken_at=AT)
    assert len(parts) > 1
    events = [InventorySnapshotted.model_validate_json(p.payload) for p in parts]
    assert all(len(p.payload) <= MAX_MESSAGE_BYTES for p in parts)
    assert [e.part for e in events] == list(range(len(parts)))
    assert {e.parts for e in events} == {len(parts)}
    assert len({e.snapshot_id for e in events}) == 1
    assert len({e.event_id for e in events}) == len(parts)
    assert sum(len(e.pods) for e in events) == 6000
    assert sum(len(e.nodes) for e in events) == 200
    assert sum(len(e.workloads) for e in events) == 200
    streamed = list(
        iter_parts(
            full_objects(inventory),
            plan(full_objects(inventory)),
            header=HEADER,
            kind="full",
            taken_at=AT,
        )
    )
    assert [p.payload for p in streamed] == [p.payload for p in parts]


def test_deltas_carry_changes_and_removals() -> None:
    inventory = fleet(60)
    parser = Parser()
    inventory.upsert(ResourceKind.POD, parser.parse(ResourceKind.POD, make_pod(61, 2)))
    inventory.delete(ResourceKind.POD, ("team-000", "svc-00000-5f7d8-00x000000"))
    inventory.delete(ResourceKind.NODE, ("", "node-00001"))
    changes = inventory.take_changes()
    [part] = snapshot_parts(
        delta_objects(inventory, changes), header=HEADER, kind="delta", taken_at=AT, sequence=3
    )
    event = InventorySnapshotted.model_validate_json(part.payload)
    assert event.kind == "delta"
    assert [p.name for p in event.pods] == ["svc-00002-5f7d8-01x000061"]
    assert ObjectRef(kind="Node", name="node-00001") in event.removed
    assert (
        ObjectRef(kind="Pod", namespace="team-000", name="svc-00000-5f7d8-00x000000")
        in event.removed
    )
    assert not inventory.take_changes()
