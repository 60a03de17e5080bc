"""One cluster's inventory in memory: the records of every watched kind, owner resolution,
the IP index used by flows, ``LoadBalancer`` Services by namespace (for pod assets), and the
changes since the last delta.

The store is written by the inventory source (lists and watch events) and read by the usage
and flow sources of the same cluster; everything runs on one event loop, so no locking.
Objects are keyed by ``(namespace, name)`` (namespace ``""`` for cluster-scoped kinds).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from kubeopt_collector.domain.kube_objects import (
    ControllerRecord,
    HpaRecord,
    NamespaceRecord,
    NodeRecord,
    PdbRecord,
    PodRecord,
    PvcRecord,
    Record,
    ResourceKind,
    ServiceRecord,
)
from kubeopt_common.events import WorkloadKind

Key = tuple[str, str]
WorkloadKey = tuple[WorkloadKind, str, str]  # kind, namespace, name

_WORKLOAD_KINDS = {
    ResourceKind.DEPLOYMENT: WorkloadKind.DEPLOYMENT,
    ResourceKind.STATEFULSET: WorkloadKind.STATEFULSET,
    ResourceKind.DAEMONSET: WorkloadKind.DAEMONSET,
    ResourceKind.CRONJOB: WorkloadKind.CRONJOB,
    ResourceKind.JOB: WorkloadKind.JOB,
}
_BY_NAME = {kind.value: kind for kind in ResourceKind}
RECENT_IPS = 20_000
"""IPs of deleted pods remembered for late flow records (VPC flow logs arrive minutes late)."""


def key_of(record: Record) -> Key:
    if isinstance(record, NamespaceRecord | NodeRecord):
        return ("", record.name)
    return (record.namespace, record.name)


@dataclass
class Changes:
    """What changed since the last :meth:`ClusterInventory.take_changes`."""

    namespaces: set[str] = field(default_factory=set)
    nodes: set[str] = field(default_factory=set)
    workloads: set[WorkloadKey] = field(default_factory=set)
    pods: set[Key] = field(default_factory=set)
    removed: list[tuple[str, str, str]] = field(default_factory=list)  # (ref kind, ns, name)

    def __bool__(self) -> bool:
        return bool(self.namespaces or self.nodes or self.workloads or self.pods or self.removed)


class ClusterInventory:
    """Records by kind and key; every mutation notes what a delta must carry."""

    def __init__(self) -> None:
        self.objects: dict[ResourceKind, dict[Key, Record]] = {kind: {} for kind in ResourceKind}
        self.changes = Changes()
        self._pod_ips: dict[str, Key] = {}
        self._recent: OrderedDict[str, PodRecord] = OrderedDict()
        self._node_ips: dict[str, str] = {}
        self._load_balancers: dict[str, dict[str, ServiceRecord]] = {}

    # ------------------------------------------------------------------ reads

    def __len__(self) -> int:
        return sum(len(objects) for objects in self.objects.values())

    def node(self, name: str) -> NodeRecord | None:
        found = self.objects[ResourceKind.NODE].get(("", name))
        return found if isinstance(found, NodeRecord) else None

    def pod(self, namespace: str, name: str) -> PodRecord | None:
        found = self.objects[ResourceKind.POD].get((namespace, name))
        return found if isinstance(found, PodRecord) else None

    def nodes(self) -> Iterator[NodeRecord]:
        for record in self.objects[ResourceKind.NODE].values():
            if isinstance(record, NodeRecord):
                yield record

    def pods(self) -> Iterator[PodRecord]:
        for record in self.objects[ResourceKind.POD].values():
            if isinstance(record, PodRecord) and not record.finished:
                yield record

    def namespaces(self) -> Iterator[NamespaceRecord]:
        for record in self.objects[ResourceKind.NAMESPACE].values():
            if isinstance(record, NamespaceRecord):
                yield record

    def controller(self, kind: ResourceKind, namespace: str, name: str) -> ControllerRecord | None:
        found = self.objects[kind].get((namespace, name))
        return found if isinstance(found, ControllerRecord) else None

    def pvc(self, namespace: str, name: str) -> PvcRecord | None:
        found = self.objects[ResourceKind.PVC].get((namespace, name))
        return found if isinstance(found, PvcRecord) else None

    def load_balancers(self, namespace: str) -> Iterable[ServiceRecord]:
        """The ``LoadBalancer`` Services of ``namespace``."""
        return self._load_balancers.get(namespace, {}).values()

    def hpas(self) -> Iterator[HpaRecord]:
        for record in self.objects[ResourceKind.HPA].values():
            if isinstance(record, HpaRecord):
                yield record

    def pdbs(self, namespace: str) -> Iterator[PdbRecord]:
        for record in self.objects[ResourceKind.PDB].values():
            if isinstance(record, PdbRecord) and record.namespace == namespace:
                yield record

    def resolve_owner(self, namespace: str, kind: str, name: str) -> tuple[WorkloadKind, str]:
        """The workload at the top of an owner chain starting at (``kind``, ``name``).

        ReplicaSet → Deployment and Job → CronJob are followed through the stored objects; a
        ReplicaSet not (yet) seen is named after its Deployment by dropping the pod-template
        hash. A ReplicaSet owned by something else (e.g. an Argo Rollout) is reported as a
        Deployment named after that owner; any other owner kind as that owner's name with kind
        Pod.
        """
        if kind == ResourceKind.REPLICASET.value:
            rs = self.controller(ResourceKind.REPLICASET, namespace, name)
            if rs is None:
                return WorkloadKind.DEPLOYMENT, name.rsplit("-", 1)[0] if "-" in name else name
            return WorkloadKind.DEPLOYMENT, rs.owner.name if rs.owner else name
        if kind == ResourceKind.JOB.value:
            job = self.controller(ResourceKind.JOB, namespace, name)
            if job is not None and job.owner is not None and job.owner.kind == "CronJob":
                return WorkloadKind.CRONJOB, job.owner.name
            return WorkloadKind.JOB, name
        resource = _BY_NAME.get(kind)
        if resource in _WORKLOAD_KINDS:
            return _WORKLOAD_KINDS[resource], name
        return WorkloadKind.POD, name

    def workload_of(self, pod: PodRecord) -> tuple[WorkloadKind, str]:
        """(kind, name) of the workload that runs ``pod``; a bare pod is its own workload."""
        if pod.owner is None:
            return WorkloadKind.POD, pod.name
        return self.resolve_owner(pod.namespace, pod.owner.kind, pod.owner.name)

    def lookup_ip(self, ip: str) -> PodRecord | NodeRecord | None:
        """The pod (current, else recently deleted) or node that has ``ip``."""
        key = self._pod_ips.get(ip)
        if key is not None:
            pod = self.pod(*key)
            if pod is not None:
                return pod
        node_name = self._node_ips.get(ip)
        if node_name is not None:
            return self.node(node_name)
        return self._recent.get(ip)

    # ------------------------------------------------------------------ writes

    def upsert(self, kind: ResourceKind, record: Record) -> None:
        key = key_of(record)
        previous = self.objects[kind].get(key)
        self.objects[kind][key] = record
        self._index(kind, previous, record)
        if previous != record:
            self._note_changed(kind, record)

    def delete(self, kind: ResourceKind, key: Key) -> None:
        previous = self.objects[kind].pop(key, None)
        if previous is None:
            return
        self._index(kind, previous, None)
        self._note_removed(kind, previous)

    def replace(self, kind: ResourceKind, records: Iterable[Record]) -> None:
        """Replace every object of ``kind`` (a relist): missing ones count as deleted."""
        fresh = {key_of(r): r for r in records}
        for key in [k for k in self.objects[kind] if k not in fresh]:
            self.delete(kind, key)
        for record in fresh.values():
            self.upsert(kind, record)

    def load(self, kind: ResourceKind, records: Iterable[Record]) -> None:
        """First list of ``kind``: store without noting changes (a full snapshot follows)."""
        store = self.objects[kind]
        for record in records:
            previous = store.get(key := key_of(record))
            store[key] = record
            self._index(kind, previous, record)

    def take_changes(self) -> Changes:
        changes, self.changes = self.changes, Changes()
        return changes

    def _index(self, kind: ResourceKind, old: Record | None, new: Record | None) -> None:
        if kind is ResourceKind.POD:
            if isinstance(old, PodRecord) and not old.host_network:
                for ip in old.ips:
                    if self._pod_ips.get(ip) == (old.namespace, old.name):
                        del self._pod_ips[ip]
                    if new is None or old.finished:
                        self._remember(ip, old)
            if isinstance(new, PodRecord) and not new.host_network and not new.finished:
                for ip in new.ips:
                    self._pod_ips[ip] = (new.namespace, new.name)
        elif kind is ResourceKind.NODE:
            if isinstance(old, NodeRecord):
                for ip in old.addresses:
                    self._node_ips.pop(ip, None)
            if isinstance(new, NodeRecord):
                for ip in new.addresses:
                    self._node_ips[ip] = new.name
        elif kind is ResourceKind.SERVICE:
            if isinstance(old, ServiceRecord):
                self._load_balancers.get(old.namespace, {}).pop(old.name, None)
            if isinstance(new, ServiceRecord) and new.load_balancer:
                self._load_balancers.setdefault(new.namespace, {})[new.name] = new

    def _remember(self, ip: str, pod: PodRecord) -> None:
        self._recent[ip] = pod
        self._recent.move_to_end(ip)
        while len(self._recent) > RECENT_IPS:
            self._recent.popitem(last=False)

    def _note_changed(self, kind: ResourceKind, record: Record) -> None:
        changes = self.changes
        if isinstance(record, NamespaceRecord):
            changes.namespaces.add(record.name)
        elif isinstance(record, NodeRecord):
            changes.nodes.add(record.name)
        elif isinstance(record, PodRecord):
            if record.finished:
                changes.removed.append(("Pod", record.namespace, record.name))
            else:
                changes.pods.add((record.namespace, record.name))
        elif isinstance(record, ControllerRecord):
            if kind in _WORKLOAD_KINDS or kind is ResourceKind.REPLICASET:
                workload_kind, name = self.resolve_owner(record.namespace, kind.value, record.name)
                changes.workloads.add((workload_kind, record.namespace, name))
        elif isinstance(record, HpaRecord):
            workload_kind, name = self.resolve_owner(
                record.namespace, record.target_kind, record.target_name
            )
            changes.workloads.add((workload_kind, record.namespace, name))
        elif isinstance(record, PdbRecord):
            self._note_namespace_workloads(record.namespace)
        elif isinstance(record, PvcRecord):
            changes.pods.update(
                (p.namespace, p.name)
                for p in self.pods()
                if p.namespace == record.namespace
                and any(v.claim == record.name for v in p.volumes)
            )

    def _note_namespace_workloads(self, namespace: str) -> None:
        for kind in _WORKLOAD_KINDS:
            for record in self.objects[kind].values():
                if isinstance(record, ControllerRecord) and record.namespace == namespace:
                    wk, name = self.resolve_owner(namespace, kind.value, record.name)
                    self.changes.workloads.add((wk, namespace, name))

    def _note_removed(self, kind: ResourceKind, record: Record) -> None:
        if isinstance(record, NamespaceRecord):
            self.changes.removed.append(("Namespace", "", record.name))
        elif isinstance(record, NodeRecord):
            self.changes.removed.append(("Node", "", record.name))
        elif isinstance(record, PodRecord):
            self.changes.pods.discard((record.namespace, record.name))
            self.changes.removed.append(("Pod", record.namespace, record.name))
        elif isinstance(record, ControllerRecord) and kind in _WORKLOAD_KINDS:
            if kind is ResourceKind.JOB and record.owner is not None:
                return  # a CronJob's run: the CronJob stays
            self.changes.removed.append(("Workload", record.namespace, record.name))
        elif isinstance(record, HpaRecord | PdbRecord | PvcRecord):
            self._note_changed(kind, record)


def controllers(inventory: ClusterInventory) -> Iterator[ControllerRecord]:
    """Every stored controller that is a workload of its own (a Job of a CronJob is not; a
    ReplicaSet is only when no Deployment-like owner exists)."""
    for kind in (*_WORKLOAD_KINDS, ResourceKind.REPLICASET):
        for record in inventory.objects[kind].values():
            if not isinstance(record, ControllerRecord):
                continue
            if record.owner is not None and kind in (ResourceKind.JOB, ResourceKind.REPLICASET):
                continue
            yield record


def hpa_index(inventory: ClusterInventory) -> Mapping[WorkloadKey, HpaRecord]:
    index: dict[WorkloadKey, HpaRecord] = {}
    for hpa in inventory.hpas():
        kind, name = inventory.resolve_owner(hpa.namespace, hpa.target_kind, hpa.target_name)
        index[(kind, hpa.namespace, name)] = hpa
    return index
