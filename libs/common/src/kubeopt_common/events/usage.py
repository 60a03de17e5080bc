"""``usage.sampled``: one scrape window of usage for a set of whole nodes, batched.

A message carries complete nodes: the node facts needed to price it, and every container that ran
on it in the window with its requests and measured usage. Costing can therefore attribute a whole
node (containers + idle) from one message, with no ordering dependency on inventory events, and a
redelivered message re-prices exactly the same rows.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kubeopt_common.events.envelope import (
    Contract,
    Event,
    Labels,
    Name,
    NonNegativeInt,
    UtcDatetime,
)
from kubeopt_common.events.inventory import ContainerSpec, Node, Provider, WorkloadKind
from kubeopt_common.events.subjects import Subject


class ContainerUsage(ContainerSpec):
    """Requests/limits in force during the window plus what the container used.

    ``cpu_usage_millicores`` is the average over the window; ``cpu_peak_millicores`` the highest
    short-interval rate seen. Memory is the working set: average and peak.
    """

    cpu_usage_millicores: NonNegativeInt
    cpu_peak_millicores: NonNegativeInt = 0
    memory_usage_bytes: NonNegativeInt
    memory_peak_bytes: NonNegativeInt = 0
    cpu_throttled_ms: NonNegativeInt = 0
    oom_kills: NonNegativeInt = 0
    restarts: NonNegativeInt = 0


class PodUsage(Contract):
    namespace: Name
    name: Name
    workload_kind: WorkloadKind
    workload: Name
    labels: Labels = Field(default_factory=dict)
    containers: tuple[ContainerUsage, ...]


class NodeUsage(Contract):
    node: Node
    pods: tuple[PodUsage, ...] = ()


class UsageSampled(Event):
    """Usage of whole nodes over ``[window_start, window_start + window_seconds)``."""

    SUBJECT: ClassVar[Subject] = Subject.USAGE_SAMPLED

    provider: Provider
    region: str
    window_start: UtcDatetime
    window_seconds: int = Field(gt=0, le=86_400)
    nodes: tuple[NodeUsage, ...]

    @property
    def sample_count(self) -> int:
        """Number of container samples in the batch."""
        return sum(len(p.containers) for n in self.nodes for p in n.pods)
