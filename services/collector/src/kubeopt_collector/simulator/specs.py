"""The parts of a simulator scenario: node pools, namespaces, workloads, containers, profiles.

Every model is frozen and forbids unknown fields. Resource quantities are written as Kubernetes
quantity strings and held as integers (``cpu`` in millicores, ``memory``/``size`` in bytes).
The file format is documented field by field in ``services/collector/SCENARIO.md``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from kubeopt_collector.domain.cron import CronSchedule
from kubeopt_collector.domain.instance_types import instance_shape
from kubeopt_collector.domain.quantities import (
    QuantityInput,
    parse_cpu_millicores,
    parse_memory_bytes,
)
from kubeopt_common.events import CapacityType
from kubeopt_common.events.subjects import CLUSTER_NAME_PATTERN


class FieldError(ValueError):
    """A validation failure located at ``path`` below the model that raised it."""

    def __init__(self, path: tuple[str | int, ...], reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _cpu(value: QuantityInput) -> int:
    return parse_cpu_millicores(value)


def _memory(value: QuantityInput) -> int:
    return parse_memory_bytes(value)


CpuMillicores = Annotated[int, BeforeValidator(_cpu)]
"""A CPU quantity (``"250m"``, ``"1"``, ``0.5``) held as millicores."""
MemoryBytes = Annotated[int, BeforeValidator(_memory)]
"""A memory quantity (``"512Mi"``, ``"1Gi"``, ``"1G"``) held as bytes."""
DnsName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$")]
"""A Kubernetes object name (lowercase letters, digits and ``-``; short enough to suffix)."""
ClusterName = Annotated[str, StringConstraints(pattern=CLUSTER_NAME_PATTERN)]
"""A cluster name: one NATS subject token (lowercase letters, digits, ``-`` and ``_``)."""
Labels = dict[Annotated[str, StringConstraints(min_length=1, max_length=317)], str]


class Level(Spec):
    """A usage level: a fraction of the container's request, or an absolute amount."""

    fraction: float | None = Field(default=None, ge=0)
    amount: int | None = Field(default=None, ge=0)

    def resolve(self, request: int) -> float:
        """The level in the request's unit (millicores or bytes)."""
        if self.amount is not None:
            return float(self.amount)
        return (self.fraction or 0.0) * request


def _level(parse: str) -> BeforeValidator:
    def convert(value: object) -> object:
        if isinstance(value, str) and value.strip().endswith("%"):
            number = value.strip()[:-1]
            try:
                return {"fraction": float(number) / 100}
            except ValueError:
                msg = f"invalid percentage {value!r}: expected e.g. '60%'"
                raise ValueError(msg) from None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            amount = _cpu(value) if parse == "cpu" else _memory(value)
            return {"amount": amount}
        return value

    return BeforeValidator(convert)


CpuLevel = Annotated[Level, _level("cpu")]
"""``"60%"`` of the request, or an absolute CPU quantity such as ``"300m"``."""
MemoryLevel = Annotated[Level, _level("memory")]
"""``"70%"`` of the request, or an absolute memory quantity such as ``"300Mi"``."""


class ProfileBase(Spec):
    """Parameters every usage profile has.

    ``noise`` is the relative standard deviation of a window's average around the profile;
    ``jitter`` spreads the level of individual containers (replicas, template copies) by up to
    ±jitter, deterministically; ``burst`` sets how far a window's CPU peak rises above its
    average (peak = average * (1 + burst * |z|)).
    """

    cpu: CpuLevel = Level(fraction=0.5)
    memory: MemoryLevel = Level(fraction=0.7)
    noise: float = Field(default=0.08, ge=0, le=1)
    jitter: float = Field(default=0.15, ge=0, lt=1)
    burst: float = Field(default=0.3, ge=0, le=10)


class ConstantProfile(ProfileBase):
    type: Literal["constant"] = "constant"


class DiurnalProfile(ProfileBase):
    """CPU follows ``1 + amplitude·cos(2π(t - peak_hour)/period)``; memory a smaller wave."""

    type: Literal["diurnal"] = "diurnal"
    amplitude: float = Field(default=0.5, ge=0, le=1)
    memory_amplitude: float = Field(default=0.1, ge=0, le=1)
    period_hours: float = Field(default=24.0, gt=0, le=24 * 28)
    peak_hour: float = Field(default=15.0, ge=0, le=24 * 28)


class SpikyProfile(ProfileBase):
    """In a window with probability ``spike_probability`` usage jumps by the magnitudes."""

    type: Literal["spiky"] = "spiky"
    spike_probability: float = Field(default=0.05, ge=0, le=1)
    spike_magnitude: float = Field(default=4.0, ge=1, le=100)
    memory_spike_magnitude: float = Field(default=1.1, ge=1, le=100)


class LeakProfile(ProfileBase):
    """Memory grows by ``leak_per_hour`` from its level until the limit, then an OOM restart."""

    type: Literal["leak"] = "leak"
    leak_per_hour: MemoryLevel


class BatchProfile(ProfileBase):
    """Runs of ``duration_minutes`` at the level; between runs ``idle`` * the level.

    Runs start on the workload's cron ``schedule`` when it has one, otherwise every
    ``every_minutes``. CronJob/Job pods exist only while a run is active.
    """

    type: Literal["batch"] = "batch"
    cpu: CpuLevel = Level(fraction=0.9)
    memory: MemoryLevel = Level(fraction=0.8)
    duration_minutes: int = Field(default=10, gt=0, le=7 * 24 * 60)
    every_minutes: int = Field(default=60, gt=0, le=7 * 24 * 60)
    idle: float = Field(default=0.02, ge=0, le=1)


Profile = Annotated[
    ConstantProfile | DiurnalProfile | SpikyProfile | LeakProfile | BatchProfile,
    Field(discriminator="type"),
]


class Resources(Spec):
    cpu: CpuMillicores | None = None
    memory: MemoryBytes | None = None
    gpu: int = Field(default=0, ge=0)


class ContainerDef(Spec):
    name: DnsName
    requests: Resources = Resources()
    limits: Resources = Resources()
    profile: Profile = ConstantProfile()


class HpaDef(Spec):
    min_replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(ge=1, le=1000)
    metric: Literal["cpu", "memory"] = "cpu"
    target_utilization_pct: int = Field(default=70, ge=1, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_replicas > self.max_replicas:
            msg = f"min_replicas {self.min_replicas} exceeds max_replicas {self.max_replicas}"
            raise FieldError(("min_replicas",), msg)
        return self


class PdbDef(Spec):
    min_available: int | None = Field(default=None, ge=0)
    max_unavailable: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.min_available is None) == (self.max_unavailable is None):
            msg = "give exactly one of min_available or max_unavailable"
            raise ValueError(msg)
        return self


class VolumeDef(Spec):
    name: DnsName
    type: Literal["pvc", "empty_dir", "host_path", "local_pv"]
    size: MemoryBytes | None = None
    storage_class: str = ""

    @model_validator(mode="after")
    def _sized(self) -> Self:
        if self.type in ("pvc", "local_pv") and self.size is None:
            raise FieldError(("size",), f"a {self.type} volume needs a size, e.g. '10Gi'")
        return self


class ServiceDef(Spec):
    """A Service selecting the workload's pods, named ``<workload>-<name>``.

    Only a ``LoadBalancer`` costs anything (a cloud load balancer, shared by the pods it
    selects); ``ClusterIP`` and ``NodePort`` are accepted as in Kubernetes and carry no cost.
    """

    name: DnsName
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"


def _valid_cron(expression: str) -> str:
    CronSchedule.parse(expression)
    return expression


WorkloadKindName = Literal["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"]
BATCH_KINDS = frozenset({"CronJob", "Job"})


class WorkloadDef(Spec):
    """A workload; ``count: N`` makes N copies named ``<name>-<i>`` (i from 0)."""

    namespace: str
    kind: WorkloadKindName
    name: DnsName
    count: int = Field(default=1, ge=1, le=10_000)
    replicas: int | None = Field(default=None, ge=0, le=10_000)
    labels: Labels = Field(default_factory=dict)
    node_pool: str | None = None
    containers: tuple[ContainerDef, ...] = Field(min_length=1)
    hpa: HpaDef | None = None
    pdb: PdbDef | None = None
    volumes: tuple[VolumeDef, ...] = ()
    services: tuple[ServiceDef, ...] = ()
    schedule: Annotated[str, AfterValidator(_valid_cron)] | None = None
    termination_grace_period_s: int = Field(default=30, ge=0)
    max_surge_pct: int = Field(default=25, ge=0, le=100)

    @property
    def templated(self) -> bool:
        return self.count > 1

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind == "DaemonSet" and self.replicas is not None:
            raise FieldError(("replicas",), "a DaemonSet runs one pod per node; remove replicas")
        if self.hpa is not None and self.kind in BATCH_KINDS | {"DaemonSet"}:
            raise FieldError(("hpa",), f"a {self.kind} cannot have an hpa")
        if self.kind == "CronJob" and self.schedule is None:
            raise FieldError(("kind",), "a CronJob needs a cron schedule")
        if self.schedule is not None and self.kind not in BATCH_KINDS:
            raise FieldError(("schedule",), f"schedule is for CronJob and Job, not {self.kind}")
        if self.kind in BATCH_KINDS and not any(
            isinstance(c.profile, BatchProfile) for c in self.containers
        ):
            msg = f"a {self.kind} needs a container with a batch profile (it sets the run length)"
            raise FieldError(("containers",), msg)
        _unique([c.name for c in self.containers], "containers", "container")
        _unique([v.name for v in self.volumes], "volumes", "volume")
        _unique([s.name for s in self.services], "services", "service")
        for index, service in enumerate(self.services):
            if service.type == "LoadBalancer" and self.kind in BATCH_KINDS:
                msg = (
                    f"a {self.kind}'s pods exist only during a run: a LoadBalancer needs a "
                    "long-running workload (Deployment, StatefulSet or DaemonSet)"
                )
                raise FieldError(("services", index, "type"), msg)
        return self

    @property
    def load_balancers(self) -> tuple[str, ...]:
        """Names (within the workload) of its ``LoadBalancer`` Services."""
        return tuple(s.name for s in self.services if s.type == "LoadBalancer")

    @property
    def replica_count(self) -> int:
        """Nominal replicas (1 when not given). With an HPA: the load, expressed in pods."""
        return 1 if self.replicas is None else self.replicas


def _unique(names: list[str], field: str, what: str) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise FieldError((field, index, "name"), f"duplicate {what} name {name!r}")
        seen.add(name)


class NamespaceDef(Spec):
    """A namespace; ``count: N`` makes N namespaces named ``<name>-<i>`` (i from 0)."""

    name: DnsName
    count: int | None = Field(default=None, ge=1, le=10_000)
    labels: Labels = Field(default_factory=dict)


class NodePoolDef(Spec):
    """A node pool. Capacity comes from the instance-type table unless given explicitly."""

    name: DnsName
    instance_type: str = Field(min_length=1)
    zones: tuple[str, ...] = Field(min_length=1)
    count: int = Field(ge=0, le=10_000)
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    architecture: Literal["amd64", "arm64"] | None = None
    vcpu: int | None = Field(default=None, gt=0, le=1024)
    memory_gib: float | None = Field(default=None, gt=0, le=65536)
    gpu_count: int | None = Field(default=None, ge=0)
    labels: Labels = Field(default_factory=dict)
    tainted: bool = False

    @model_validator(mode="after")
    def _known_shape(self) -> Self:
        if instance_shape(self.instance_type) is None and (
            self.vcpu is None or self.memory_gib is None
        ):
            msg = (
                f"unknown instance type {self.instance_type!r}: give vcpu and memory_gib "
                "for the node pool"
            )
            raise FieldError(("instance_type",), msg)
        return self


class FlowDef(Spec):
    """Traffic sent by a workload of this cluster.

    ``from`` is ``<namespace>/<workload>``; ``to`` is ``<namespace>/<workload>`` in this
    cluster, ``<cluster>/<namespace>/<workload>`` in another, or ``internet``.
    """

    source: str = Field(alias="from")
    to: str
    bytes_per_second: MemoryBytes = Field(ge=0)
    via_nat_gateway: bool = False


def _decimal_usd(value: object) -> Decimal:
    if isinstance(value, float):
        msg = f'hourly_usd {value!r} must be a quoted decimal string, e.g. "0.192"'
        raise ValueError(msg)  # a float has already lost the exact price
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        msg = f"hourly_usd {value!r} is not a decimal number"
        raise ValueError(msg) from None
    if not price.is_finite() or price < 0:
        msg = f"hourly_usd {value!r} must be a finite, non-negative amount"
        raise ValueError(msg)
    return price


class PriceDef(Spec):
    """A node price the runner hands to costing (the simulator itself ignores prices)."""

    instance_type: str = Field(min_length=1)
    capacity_type: CapacityType | None = None
    hourly_usd: Annotated[Decimal, BeforeValidator(_decimal_usd)]
