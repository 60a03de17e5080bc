"""``inventory.snapshotted`` payloads built from a :class:`ClusterInventory`.

Objects are serialised once each (orjson) in the contract's JSON shape and packed, in order,
into parts below :data:`MAX_MESSAGE_BYTES`; a part's payload is assembled from those bytes
without building the pydantic models (a 150,000-pod cluster would spend seconds on them).
The tests validate every payload with ``InventorySnapshotted.model_validate_json``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from kubeopt_collector.domain.inventory import (
    Changes,
    ClusterInventory,
    WorkloadKey,
    controllers,
    hpa_index,
)
from kubeopt_collector.domain.kube_objects import (
    ControllerRecord,
    HpaRecord,
    NamespaceRecord,
    NodeRecord,
    PodRecord,
    ResourceKind,
    scaled,
)
from kubeopt_common.events import InventorySnapshotted, Provider, WorkloadKind, event_id_for

MAX_MESSAGE_BYTES = 900_000
"""Upper bound of one part's JSON (the NATS server's default max payload is 1 MiB)."""
_ENVELOPE_BYTES = 700
_FIELDS = ("namespaces", "nodes", "workloads", "pods", "removed")
_VOLUME_KINDS = {"pvc", "empty_dir", "host_path", "local_pv"}
_RESOURCE_OF = {
    WorkloadKind.DEPLOYMENT: ResourceKind.DEPLOYMENT,
    WorkloadKind.STATEFULSET: ResourceKind.STATEFULSET,
    WorkloadKind.DAEMONSET: ResourceKind.DAEMONSET,
    WorkloadKind.CRONJOB: ResourceKind.CRONJOB,
    WorkloadKind.JOB: ResourceKind.JOB,
}


@dataclass(frozen=True)
class SnapshotHeader:
    """The cluster facts every part carries."""

    cluster: str
    producer: str
    provider: Provider
    region: str


@dataclass(frozen=True)
class SnapshotPart:
    event_id: uuid.UUID
    payload: bytes


def namespace_json(ns: NamespaceRecord) -> dict[str, Any]:
    return {"name": ns.name, "labels": dict(ns.labels)}


def node_json(node: NodeRecord) -> dict[str, Any]:
    return {
        "name": node.name,
        "instance_type": node.instance_type,
        "zone": node.zone,
        "capacity_type": node.capacity_type.value,
        "architecture": node.architecture,
        "node_pool": node.node_pool,
        "cpu_capacity_millicores": node.cpu_capacity_millicores,
        "memory_capacity_bytes": node.memory_capacity_bytes,
        "gpu_count": node.gpu_count,
        "labels": dict(node.labels),
    }


def pod_json(inventory: ClusterInventory, pod: PodRecord) -> dict[str, Any]:
    kind, workload = inventory.workload_of(pod)
    volumes = []
    for v in pod.volumes:
        if v.kind not in _VOLUME_KINDS:
            continue
        pvc = inventory.pvc(pod.namespace, v.claim) if v.kind == "pvc" else None
        volumes.append(
            {
                "name": v.name,
                "kind": v.kind,
                "claim": v.claim,
                "storage_class": pvc.storage_class if pvc else "",
                "size_bytes": pvc.size_bytes if pvc else v.size_bytes,
            }
        )
    return {
        "namespace": pod.namespace,
        "name": pod.name,
        "node": pod.node,
        "workload_kind": kind.value,
        "workload": workload,
        "labels": dict(pod.labels),
        "containers": [
            {
                "name": c.name,
                "cpu_request_millicores": c.cpu_request_millicores,
                "memory_request_bytes": c.memory_request_bytes,
                "cpu_limit_millicores": c.cpu_limit_millicores,
                "memory_limit_bytes": c.memory_limit_bytes,
                "gpu_request": c.gpu_request,
            }
            for c in pod.containers
        ],
        "volumes": volumes,
        "started_at": pod.started_at.isoformat() if pod.started_at else None,
    }


def _hpa_json(hpa: HpaRecord | None) -> dict[str, Any] | None:
    if hpa is None or hpa.metric is None or hpa.target_utilization_pct is None:
        return None  # scales on a metric the contract cannot express
    if not 1 <= hpa.target_utilization_pct <= 1000:
        return None
    return {
        "min_replicas": max(0, hpa.min_replicas),
        "max_replicas": max(1, hpa.max_replicas),
        "metric": hpa.metric,
        "target_utilization_pct": hpa.target_utilization_pct,
    }


def _pdb_json(
    inventory: ClusterInventory, record: ControllerRecord, replicas: int
) -> dict[str, Any] | None:
    for pdb in inventory.pdbs(record.namespace):
        if pdb.selector.matches(record.template_labels):
            return {
                "min_available": None
                if pdb.min_available is None
                else scaled(pdb.min_available, replicas),
                "max_unavailable": None
                if pdb.max_unavailable is None
                else scaled(pdb.max_unavailable, replicas),
            }
    return None


def workload_json(
    inventory: ClusterInventory,
    record: ControllerRecord,
    hpas: dict[WorkloadKey, HpaRecord],
) -> dict[str, Any]:
    kind, name = inventory.resolve_owner(record.namespace, record.kind.value, record.name)
    return {
        "namespace": record.namespace,
        "kind": kind.value,
        "name": name,
        "replicas": max(0, record.replicas),
        "labels": dict(record.labels),
        "node_pool": record.node_pool,
        "hpa": _hpa_json(hpas.get((kind, record.namespace, name))),
        "pdb": _pdb_json(inventory, record, record.replicas),
        "schedule": record.schedule,
        "termination_grace_period_s": max(0, record.termination_grace_period_s),
        "max_surge_pct": max(0, record.max_surge_pct),
    }


def bare_pod_workload_json(pod: PodRecord) -> dict[str, Any]:
    return {
        "namespace": pod.namespace,
        "kind": WorkloadKind.POD.value,
        "name": pod.name,
        "replicas": 1,
        "labels": dict(pod.labels),
    }


def full_objects(inventory: ClusterInventory) -> Iterator[tuple[str, bytes]]:
    """Every object of a full snapshot as (field, JSON bytes), namespaces first."""
    hpas = dict(hpa_index(inventory))
    for ns in inventory.namespaces():
        yield "namespaces", orjson.dumps(namespace_json(ns))
    for node in inventory.nodes():
        yield "nodes", orjson.dumps(node_json(node))
    for record in controllers(inventory):
        yield "workloads", orjson.dumps(workload_json(inventory, record, hpas))
    for pod in inventory.pods():
        if pod.owner is None:
            yield "workloads", orjson.dumps(bare_pod_workload_json(pod))
        yield "pods", orjson.dumps(pod_json(inventory, pod))


def delta_objects(inventory: ClusterInventory, changes: Changes) -> Iterator[tuple[str, bytes]]:
    """The objects a delta carries: the changed ones that still exist, then the removals."""
    hpas = dict(hpa_index(inventory))
    store = inventory.objects
    for name in sorted(changes.namespaces):
        ns = store[ResourceKind.NAMESPACE].get(("", name))
        if isinstance(ns, NamespaceRecord):
            yield "namespaces", orjson.dumps(namespace_json(ns))
    for name in sorted(changes.nodes):
        node = inventory.node(name)
        if node is not None:
            yield "nodes", orjson.dumps(node_json(node))
    for kind, namespace, name in sorted(changes.workloads):
        resource = _RESOURCE_OF.get(kind)
        record = inventory.controller(resource, namespace, name) if resource else None
        if record is None and kind is WorkloadKind.DEPLOYMENT:
            record = inventory.controller(ResourceKind.REPLICASET, namespace, name)
        if record is not None:
            yield "workloads", orjson.dumps(workload_json(inventory, record, hpas))
    for namespace, name in sorted(changes.pods):
        pod = inventory.pod(namespace, name)
        if pod is not None and not pod.finished:
            if pod.owner is None:
                yield "workloads", orjson.dumps(bare_pod_workload_json(pod))
            yield "pods", orjson.dumps(pod_json(inventory, pod))
    for kind_name, namespace, name in changes.removed:
        ref = {"kind": kind_name, "namespace": namespace, "name": name}
        yield "removed", orjson.dumps(ref)


def plan(objects: Iterable[tuple[str, bytes]]) -> list[int]:
    """How many objects go in each part: order-preserving greedy packing below
    :data:`MAX_MESSAGE_BYTES` (sizes only, so a large snapshot need not be held)."""
    counts = [0]
    size = _ENVELOPE_BYTES
    for _, blob in objects:
        if counts[-1] and size + len(blob) + 1 > MAX_MESSAGE_BYTES:
            counts.append(0)
            size = _ENVELOPE_BYTES
        counts[-1] += 1
        size += len(blob) + 1
    return counts


def iter_parts(
    objects: Iterable[tuple[str, bytes]],
    counts: list[int],
    *,
    header: SnapshotHeader,
    kind: Literal["full", "delta"],
    taken_at: datetime,
    sequence: int = 0,
) -> Iterator[SnapshotPart]:
    """The parts of a snapshot, one at a time, following ``counts`` (see :func:`plan`); the
    same objects, in the same order, must be given as when the plan was made."""
    epoch_ms = int(taken_at.timestamp() * 1000)
    snapshot_id = f"{header.cluster}-{kind}-{epoch_ms}-{sequence}"
    stream = iter(objects)
    for index, count in enumerate(counts):
        fields: dict[str, list[bytes]] = {}
        for _ in range(count):
            name, blob = next(stream)
            fields.setdefault(name, []).append(blob)
        event_id = event_id_for("inventory", header.cluster, kind, epoch_ms, sequence, index)
        envelope = {
            "event_id": str(event_id),
            "occurred_at": taken_at.isoformat(),
            "schema_version": InventorySnapshotted.SCHEMA_VERSION,
            "cluster": header.cluster,
            "producer": header.producer,
            "snapshot_id": snapshot_id,
            "kind": kind,
            "part": index,
            "parts": len(counts),
            "provider": header.provider.value,
            "region": header.region,
            "taken_at": taken_at.isoformat(),
        }
        body = b",".join(
            b'"' + name.encode() + b'":[' + b",".join(fields.get(name, [])) + b"]"
            for name in _FIELDS
        )
        yield SnapshotPart(event_id, orjson.dumps(envelope)[:-1] + b"," + body + b"}")


def snapshot_parts(
    objects: Iterable[tuple[str, bytes]],
    *,
    header: SnapshotHeader,
    kind: Literal["full", "delta"],
    taken_at: datetime,
    sequence: int = 0,
) -> list[SnapshotPart]:
    """Every part of a (small) snapshot at once: the objects are held while packing."""
    held = list(objects)
    return list(
        iter_parts(held, plan(held), header=header, kind=kind, taken_at=taken_at, sequence=sequence)
    )
