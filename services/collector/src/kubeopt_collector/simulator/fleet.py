"""Expand a scenario into a fleet: nodes, workloads, pod slots placed on nodes, containers.

Nodes are named ``<cluster>-<pool>-<i>`` and take their pool's zones round-robin. Every pod a
workload can ever run is a *slot* placed once, up front: Deployment/StatefulSet replicas
(with an HPA, ``max_replicas`` slots: the first ``replicas`` are placed first, the surge slots
after every other workload), one DaemonSet pod per node, and ``replicas`` (parallelism) slots
per CronJob/Job whose pods exist only while a run is active. Which slots run in a window is
decided by :mod:`kubeopt_collector.simulator.activity`.

Everything here is a pure function of the scenario: same scenario and seed, same fleet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from kubeopt_collector.domain.cron import CronSchedule
from kubeopt_collector.domain.instance_types import instance_shape
from kubeopt_collector.simulator.placement import NodeSlot, Scheduler
from kubeopt_collector.simulator.scenario import ClusterDef, Scenario
from kubeopt_collector.simulator.specs import (
    BATCH_KINDS,
    ContainerDef,
    NodePoolDef,
    Profile,
    VolumeDef,
)
from kubeopt_collector.simulator.templating import WorkloadInstance
from kubeopt_common.events import (
    ContainerSpec,
    Hpa,
    Namespace,
    Node,
    Pdb,
    Provider,
    Volume,
    VolumeKind,
    Workload,
    WorkloadKind,
)

GIB = 2**30
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' name-suffix alphabet (no vowels)


def stable_hash(*parts: object) -> int:
    """A 64-bit hash of ``parts`` that is the same in every process (unlike ``hash()``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def name_suffix(*parts: object, length: int = 5) -> str:
    """A Kubernetes-style random-looking suffix, derived deterministically from ``parts``."""
    value = stable_hash(*parts)
    chars = []
    for _ in range(length):
        value, digit = divmod(value, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class FleetContainer:
    spec: ContainerSpec
    profile: Profile
    pod: int
    key: int
    """Stable 64-bit identity: seeds this container's usage noise."""


@dataclass(frozen=True, slots=True)
class FleetPod:
    name: str
    """The pod name; for CronJob/Job slots the base of the per-run names."""
    workload: int
    node: int | None
    """Index into the cluster's nodes; None when the pod is pending (no eligible node)."""
    ordinal: int
    containers: tuple[int, ...]
    volumes: tuple[Volume, ...] = ()


@dataclass(frozen=True, slots=True)
class FleetWorkload:
    instance: WorkloadInstance
    contract: Workload
    pods: tuple[int, ...]
    """Slot indices in ordinal order (an HPA scales up and down from the front)."""
    load_replicas: int
    """The scenario's ``replicas``: with an HPA, the load expressed in pods at the profile."""
    schedule: CronSchedule | None
    run_offset_s: int
    """Phase (whole minutes within a day) of ``every_minutes`` runs when there is no cron
    schedule, so that workloads do not all run in step."""
    load_balancers: tuple[str, ...] = ()
    """Names of the ``LoadBalancer`` Services selecting the workload's pods."""

    @property
    def kind(self) -> WorkloadKind:
        return self.contract.kind

    @property
    def is_batch(self) -> bool:
        return self.kind.value in BATCH_KINDS


@dataclass(frozen=True)
class ClusterFleet:
    name: str
    provider: Provider
    region: str
    namespaces: tuple[Namespace, ...]
    nodes: tuple[Node, ...]
    workloads: tuple[FleetWorkload, ...]
    pods: tuple[FleetPod, ...]
    containers: tuple[FleetContainer, ...]


@dataclass(frozen=True)
class Fleet:
    seed: int
    interval_seconds: int
    clusters: tuple[ClusterFleet, ...]

    def cluster(self, name: str) -> ClusterFleet:
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        msg = f"no cluster {name!r} in the fleet"
        raise KeyError(msg)


def build_fleet(scenario: Scenario) -> Fleet:
    """The fleet of ``scenario``: deterministic in the scenario and its seed."""
    return Fleet(
        seed=scenario.seed,
        interval_seconds=scenario.interval_seconds,
        clusters=tuple(_ClusterBuilder(scenario.seed, c).build() for c in scenario.clusters),
    )


def _nodes(cluster: ClusterDef) -> list[tuple[Node, NodeSlot]]:
    out = []
    for pool in cluster.node_pools:
        for i in range(pool.count):
            node = _node(cluster, pool, i)
            slot = NodeSlot(
                name=node.name,
                pool=pool.name,
                zone=node.zone,
                cpu_millicores=node.cpu_capacity_millicores,
                memory_bytes=node.memory_capacity_bytes,
                tainted=pool.tainted,
            )
            out.append((node, slot))
    return out


def _node(cluster: ClusterDef, pool: NodePoolDef, i: int) -> Node:
    shape = instance_shape(pool.instance_type)
    vcpu = pool.vcpu if pool.vcpu is not None else shape.vcpu if shape else 1
    memory_bytes = (
        round(pool.memory_gib * GIB)
        if pool.memory_gib is not None
        else (shape.memory_bytes if shape else GIB)
    )
    arch = pool.architecture or (shape.architecture if shape else "amd64")
    zone = pool.zones[i % len(pool.zones)]
    labels = {
        "topology.kubernetes.io/region": cluster.region,
        "topology.kubernetes.io/zone": zone,
        "node.kubernetes.io/instance-type": pool.instance_type,
        "kubernetes.io/arch": arch,
        "kubeopt.io/node-pool": pool.name,
        "kubeopt.io/capacity-type": pool.capacity_type.value,
        **pool.labels,
    }
    return Node(
        name=f"{cluster.name}-{pool.name}-{i}",
        instance_type=pool.instance_type,
        zone=zone,
        capacity_type=pool.capacity_type,
        architecture=arch,
        node_pool=pool.name,
        cpu_capacity_millicores=vcpu * 1000,
        memory_capacity_bytes=memory_bytes,
        gpu_count=pool.gpu_count
        if pool.gpu_count is not None
        else (shape.gpu_count if shape else 0),
        labels=labels,
    )


def _container_spec(c: ContainerDef) -> ContainerSpec:
    return ContainerSpec(
        name=c.name,
        cpu_request_millicores=c.requests.cpu or 0,
        memory_request_bytes=c.requests.memory or 0,
        cpu_limit_millicores=c.limits.cpu,
        memory_limit_bytes=c.limits.memory,
        gpu_request=max(c.requests.gpu, c.limits.gpu),
    )


def _volume(v: VolumeDef, *, workload: WorkloadInstance, pod: str) -> Volume:
    per_pod = workload.spec.kind == "StatefulSet"
    claim = f"{v.name}-{pod}" if per_pod else f"{workload.name}-{v.name}"
    return Volume(
        name=v.name,
        kind=VolumeKind(v.type),
        claim=claim if v.type in ("pvc", "local_pv") else "",
        storage_class=v.storage_class,
        size_bytes=v.size or 0,
    )


@dataclass(frozen=True, slots=True)
class _Slot:
    workload: int
    ordinal: int
    node: int | None


@dataclass
class _ClusterBuilder:
    seed: int
    cluster: ClusterDef
    _slots: list[_Slot] = field(default_factory=list)

    def build(self) -> ClusterFleet:
        nodes = _nodes(self.cluster)
        expanded = self.cluster.expand()
        scheduler = Scheduler([slot for _, slot in nodes])
        instances = expanded.workloads
        self._place(instances, scheduler)
        workloads, pods, containers = self._materialise(instances, [n for n, _ in nodes])
        return ClusterFleet(
            name=self.cluster.name,
            provider=self.cluster.provider,
            region=self.cluster.region,
            namespaces=tuple(Namespace(name=n.name, labels=n.labels) for n in expanded.namespaces),
            nodes=tuple(n for n, _ in nodes),
            workloads=workloads,
            pods=pods,
            containers=containers,
        )

    def _place(self, instances: Sequence[WorkloadInstance], scheduler: Scheduler) -> None:
        requests = [_pod_requests(w.spec.containers) for w in instances]
        for index, w in enumerate(instances):
            if w.spec.kind == "DaemonSet":
                cpu, memory = requests[index]
                placed = scheduler.place_daemon(
                    cpu_millicores=cpu, memory_bytes=memory, pool=w.spec.node_pool
                )
                self._slots.extend(_Slot(index, o, n) for o, n in enumerate(placed))
        surge: list[tuple[int, int]] = []
        for index, w in enumerate(instances):
            if w.spec.kind == "DaemonSet":
                continue
            nominal, slots = _replica_slots(w)
            for ordinal in range(slots):
                if ordinal >= nominal:
                    surge.append((index, ordinal))
                    continue
                self._slots.append(self._place_one(scheduler, instances, requests, index, ordinal))
        for index, ordinal in surge:
            self._slots.append(self._place_one(scheduler, instances, requests, index, ordinal))

    def _place_one(
        self,
        scheduler: Scheduler,
        instances: Sequence[WorkloadInstance],
        requests: Sequence[tuple[int, int]],
        index: int,
        ordinal: int,
    ) -> _Slot:
        w = instances[index]
        cpu, memory = requests[index]
        node = scheduler.place(
            cpu_millicores=cpu,
            memory_bytes=memory,
            pool=w.spec.node_pool,
            replica=ordinal,
            zone_offset=stable_hash(self.seed, self.cluster.name, w.key) % 997,
        )
        return _Slot(index, ordinal, node)

    def _materialise(
        self, instances: Sequence[WorkloadInstance], nodes: Sequence[Node]
    ) -> tuple[tuple[FleetWorkload, ...], tuple[FleetPod, ...], tuple[FleetContainer, ...]]:
        by_workload: dict[int, list[_Slot]] = {}
        for slot in self._slots:
            by_workload.setdefault(slot.workload, []).append(slot)
        pods: list[FleetPod] = []
        containers: list[FleetContainer] = []
        workloads: list[FleetWorkload] = []
        for index, w in enumerate(instances):
            slots = sorted(by_workload.get(index, []), key=lambda s: s.ordinal)
            pod_ids = []
            for slot in slots:
                name = self._pod_name(w, slot, nodes)
                first = len(containers)
                for c in w.spec.containers:
                    key = stable_hash(self.seed, self.cluster.name, w.key, name, c.name)
                    containers.append(FleetContainer(_container_spec(c), c.profile, len(pods), key))
                volumes = tuple(_volume(v, workload=w, pod=name) for v in w.spec.volumes)
                pod_ids.append(len(pods))
                pods.append(
                    FleetPod(
                        name=name,
                        workload=index,
                        node=slot.node,
                        ordinal=slot.ordinal,
                        containers=tuple(range(first, len(containers))),
                        volumes=volumes,
                    )
                )
            workloads.append(self._workload(w, tuple(pod_ids)))
        return tuple(workloads), tuple(pods), tuple(containers)

    def _pod_name(self, w: WorkloadInstance, slot: _Slot, nodes: Sequence[Node]) -> str:
        kind, ident = w.spec.kind, (self.seed, self.cluster.name, w.key)
        if kind == "StatefulSet" or kind in BATCH_KINDS:
            return f"{w.name}-{slot.ordinal}" if kind == "StatefulSet" else w.name
        if kind == "DaemonSet":
            node = nodes[slot.node].name if slot.node is not None else str(slot.ordinal)
            return f"{w.name}-{name_suffix(*ident, node)}"
        template = name_suffix(*ident, "template", length=10)
        return f"{w.name}-{template}-{name_suffix(*ident, slot.ordinal)}"

    def _workload(self, w: WorkloadInstance, pods: tuple[int, ...]) -> FleetWorkload:
        spec = w.spec
        nominal, _ = _replica_slots(w) if spec.kind != "DaemonSet" else (len(pods), len(pods))
        contract = Workload(
            namespace=w.namespace,
            kind=WorkloadKind(spec.kind),
            name=w.name,
            replicas=nominal,
            labels=w.labels,
            node_pool=spec.node_pool or "",
            hpa=Hpa(**spec.hpa.model_dump()) if spec.hpa else None,
            pdb=Pdb(**spec.pdb.model_dump()) if spec.pdb else None,
            schedule=spec.schedule or "",
            termination_grace_period_s=spec.termination_grace_period_s,
            max_surge_pct=spec.max_surge_pct,
        )
        offset = stable_hash(self.seed, self.cluster.name, w.key, "runs") % 1440 * 60
        return FleetWorkload(
            instance=w,
            contract=contract,
            pods=pods,
            load_replicas=spec.replica_count if spec.kind != "DaemonSet" else nominal,
            schedule=CronSchedule.parse(spec.schedule) if spec.schedule else None,
            run_offset_s=offset,
            load_balancers=tuple(f"{w.name}-{name}" for name in spec.load_balancers),
        )


def _pod_requests(containers: Sequence[ContainerDef]) -> tuple[int, int]:
    cpu = sum(c.requests.cpu or 0 for c in containers)
    memory = sum(c.requests.memory or 0 for c in containers)
    return cpu, memory


def _replica_slots(w: WorkloadInstance) -> tuple[int, int]:
    """(nominal replicas, slots to place). With an HPA the slots go up to max_replicas."""
    replicas = w.spec.replica_count
    hpa = w.spec.hpa
    if hpa is None:
        return replicas, replicas
    nominal = min(max(replicas, hpa.min_replicas), hpa.max_replicas)
    return nominal, hpa.max_replicas
