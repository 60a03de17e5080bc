"""``flows.observed``: bytes sent between workloads, nodes and the outside, batched per window."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kubeopt_common.events.envelope import Contract, Event, NonNegativeInt, UtcDatetime
from kubeopt_common.events.inventory import Provider, WorkloadKind
from kubeopt_common.events.subjects import Subject


class Endpoint(Contract):
    """One side of a flow, resolved to the *real* pod or node (never a Service IP).

    An endpoint outside the cluster has ``external=True`` and only ``ip`` (and ``region`` when
    known, e.g. another cloud region).
    """

    external: bool = False
    namespace: str = ""
    workload_kind: WorkloadKind | None = None
    workload: str = ""
    pod: str = ""
    node: str = ""
    zone: str = ""
    region: str = ""
    ip: str = ""


class Flow(Contract):
    src: Endpoint
    dst: Endpoint
    bytes_sent: NonNegativeInt
    via_nat_gateway: bool = False


class FlowsObserved(Event):
    SUBJECT: ClassVar[Subject] = Subject.FLOWS_OBSERVED

    provider: Provider
    region: str
    window_start: UtcDatetime
    window_seconds: int = Field(gt=0, le=86_400)
    flows: tuple[Flow, ...]
