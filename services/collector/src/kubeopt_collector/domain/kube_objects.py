"""The collector's compact records of Kubernetes API objects, and the kinds it watches.

Records keep only what an inventory needs, with quantities already parsed into integers
(:mod:`kubeopt_collector.domain.kube_parse` builds them from the API's JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from math import ceil
from typing import Any, TypeAlias

from kubeopt_collector.domain.labels import LabelSelector
from kubeopt_common.events import CapacityType

Raw: TypeAlias = Mapping[str, Any]


class ResourceKind(StrEnum):
    """The API kinds the inventory lists and watches."""

    NAMESPACE = "Namespace"
    NODE = "Node"
    POD = "Pod"
    PVC = "PersistentVolumeClaim"
    DEPLOYMENT = "Deployment"
    REPLICASET = "ReplicaSet"
    STATEFULSET = "StatefulSet"
    DAEMONSET = "DaemonSet"
    JOB = "Job"
    CRONJOB = "CronJob"
    HPA = "HorizontalPodAutoscaler"
    PDB = "PodDisruptionBudget"
    SERVICE = "Service"


class ObjectError(ValueError):
    """An API object that cannot be read; ``identity`` is ``Kind namespace/name``."""

    def __init__(self, identity: str, reason: str) -> None:
        super().__init__(f"{identity}: {reason}")
        self.identity = identity
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OwnerRef:
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class NamespaceRecord:
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A node; capacities are totals (not allocatable)."""

    name: str
    instance_type: str
    zone: str
    region: str
    capacity_type: CapacityType
    architecture: str
    node_pool: str
    cpu_capacity_millicores: int
    memory_capacity_bytes: int
    gpu_count: int
    labels: Mapping[str, str]
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ContainerRecord:
    """Requests and limits; a limit of None means no limit."""

    name: str
    cpu_request_millicores: int
    memory_request_bytes: int
    cpu_limit_millicores: int | None
    memory_limit_bytes: int | None
    gpu_request: int


@dataclass(frozen=True, slots=True)
class VolumeRecord:
    name: str
    kind: str  # a kubeopt_common.events.VolumeKind value
    claim: str = ""
    size_bytes: int = 0


@dataclass(frozen=True, slots=True)
class PodRecord:
    namespace: str
    name: str
    node: str
    labels: Mapping[str, str]
    owner: OwnerRef | None
    containers: tuple[ContainerRecord, ...]
    volumes: tuple[VolumeRecord, ...]
    ips: tuple[str, ...]
    host_network: bool
    started_at: datetime | None
    finished: bool


@dataclass(frozen=True, slots=True)
class ControllerRecord:
    """A Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob."""

    kind: ResourceKind
    namespace: str
    name: str
    owner: OwnerRef | None
    replicas: int
    labels: Mapping[str, str]
    template_labels: Mapping[str, str]
    node_pool: str = ""
    schedule: str = ""
    termination_grace_period_s: int = 30
    max_surge_pct: int = 25


@dataclass(frozen=True, slots=True)
class HpaRecord:
    namespace: str
    name: str
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int
    metric: str | None  # "cpu" | "memory"; None when it scales on another metric only
    target_utilization_pct: int | None


@dataclass(frozen=True, slots=True)
class PdbRecord:
    namespace: str
    name: str
    selector: LabelSelector
    min_available: int | str | None  # an int, or a percentage such as "50%"
    max_unavailable: int | str | None


@dataclass(frozen=True, slots=True)
class PvcRecord:
    """A claim: ``size_bytes`` is its capacity once bound (else its request),
    ``requested_bytes`` what it asks for (0 when it asks for nothing)."""

    namespace: str
    name: str
    storage_class: str
    size_bytes: int
    requested_bytes: int = 0


LOAD_BALANCER = "LoadBalancer"


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A Service: its ``type`` and the pods it selects (in its namespace).

    A Service's selector is equality-based; a Service without one (or with an empty one)
    selects no pods — its endpoints are managed by someone else.
    """

    namespace: str
    name: str
    type: str  # ClusterIP, NodePort, LoadBalancer or ExternalName
    selector: LabelSelector

    @property
    def load_balancer(self) -> bool:
        return self.type == LOAD_BALANCER


Record: TypeAlias = (
    NamespaceRecord
    | NodeRecord
    | PodRecord
    | ControllerRecord
    | HpaRecord
    | PdbRecord
    | PvcRecord
    | ServiceRecord
)


def identity(kind: ResourceKind | str, obj: Raw) -> str:
    """``Kind namespace/name`` (or ``Kind name``) of a raw object, as far as it can be read."""
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    if not isinstance(meta, Mapping):
        return f"{kind} <no metadata>"
    name = meta.get("name", "<no name>")
    namespace = meta.get("namespace")
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def scaled(value: int | str, total: int) -> int:
    """An int-or-percent against ``total``; percentages round up, as the disruption controller
    does (``intstr.GetScaledValueFromIntOrPercent`` with ``roundUp=true``)."""
    if isinstance(value, int):
        return value
    return ceil(int(value[:-1]) * total / 100)
