"""``inventory.snapshotted``: what runs where — nodes, workloads, pods and their requests."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from kubeopt_common.events.envelope import (
    Contract,
    Event,
    Labels,
    Name,
    NonNegativeInt,
    UtcDatetime,
)
from kubeopt_common.events.subjects import Subject


class Provider(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"
    ONPREM = "onprem"


class CapacityType(StrEnum):
    ON_DEMAND = "on_demand"
    SPOT = "spot"


class WorkloadKind(StrEnum):
    DEPLOYMENT = "Deployment"
    STATEFULSET = "StatefulSet"
    DAEMONSET = "DaemonSet"
    CRONJOB = "CronJob"
    JOB = "Job"
    POD = "Pod"  # bare pod without a controller


class Node(Contract):
    """A node and the facts needed to price it. Capacities are allocatable-independent totals."""

    name: Name
    instance_type: Name
    zone: str = ""
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    architecture: Literal["amd64", "arm64"] = "amd64"
    node_pool: str = ""
    cpu_capacity_millicores: int = Field(gt=0)
    memory_capacity_bytes: int = Field(gt=0)
    gpu_count: NonNegativeInt = 0
    labels: Labels = Field(default_factory=dict)


class ContainerSpec(Contract):
    """Requests and limits parsed once at the collector edge into integer units."""

    name: Name
    cpu_request_millicores: NonNegativeInt = 0
    memory_request_bytes: NonNegativeInt = 0
    cpu_limit_millicores: NonNegativeInt | None = None
    memory_limit_bytes: NonNegativeInt | None = None
    gpu_request: NonNegativeInt = 0


class VolumeKind(StrEnum):
    PVC = "pvc"
    EMPTY_DIR = "empty_dir"
    HOST_PATH = "host_path"
    LOCAL_PV = "local_pv"


class Volume(Contract):
    name: Name
    kind: VolumeKind
    claim: str = ""
    storage_class: str = ""
    size_bytes: NonNegativeInt = 0


class Pod(Contract):
    namespace: Name
    name: Name
    node: str = ""
    workload_kind: WorkloadKind
    workload: Name
    labels: Labels = Field(default_factory=dict)
    containers: tuple[ContainerSpec, ...]
    volumes: tuple[Volume, ...] = ()
    started_at: UtcDatetime | None = None


class Hpa(Contract):
    min_replicas: int = Field(ge=0)
    max_replicas: int = Field(ge=1)
    metric: Literal["cpu", "memory"] = "cpu"
    target_utilization_pct: int = Field(ge=1, le=1000)


class Pdb(Contract):
    min_available: NonNegativeInt | None = None
    max_unavailable: NonNegativeInt | None = None


class Workload(Contract):
    namespace: Name
    kind: WorkloadKind
    name: Name
    replicas: NonNegativeInt = 1
    labels: Labels = Field(default_factory=dict)
    node_pool: str = ""
    hpa: Hpa | None = None
    pdb: Pdb | None = None
    schedule: str = ""  # CronJob schedule, empty otherwise
    termination_grace_period_s: NonNegativeInt = 30
    max_surge_pct: NonNegativeInt = 25


class Namespace(Contract):
    name: Name
    labels: Labels = Field(default_factory=dict)


class ObjectRef(Contract):
    kind: Literal["Node", "Pod", "Workload", "Namespace"]
    namespace: str = ""
    name: Name


class InventorySnapshotted(Event):
    """One part of a cluster inventory snapshot.

    A full snapshot (``kind="full"``) replaces everything known about the cluster once all its
    ``parts`` have arrived (same ``snapshot_id``); a delta adds or replaces the objects it carries
    and removes those in ``removed``. Large clusters are split into parts to stay under the
    server's 1 MiB message limit.
    """

    SUBJECT: ClassVar[Subject] = Subject.INVENTORY_SNAPSHOTTED

    snapshot_id: Name
    kind: Literal["full", "delta"]
    part: NonNegativeInt = 0
    parts: int = Field(default=1, ge=1)
    provider: Provider
    region: str
    taken_at: UtcDatetime
    namespaces: tuple[Namespace, ...] = ()
    nodes: tuple[Node, ...] = ()
    workloads: tuple[Workload, ...] = ()
    pods: tuple[Pod, ...] = ()
    removed: tuple[ObjectRef, ...] = ()

    @model_validator(mode="after")
    def _part_in_range(self) -> Self:
        if self.part >= self.parts:
            msg = f"part {self.part} is out of range for a snapshot of {self.parts} parts"
            raise ValueError(msg)
        return self
