"""Recommender test inputs on top of the shared builders (``tests.builders``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from kubeopt_common.events import ContainerSample, Node, UsageSampled, WorkloadKind
from tests.builders import T0, make_container_sample, make_node, make_usage_sampled

WINDOW_S = 300
WINDOW = timedelta(seconds=WINDOW_S)
MIB = 2**20

NodeSamples = tuple[Node, Sequence[ContainerSample]]

__all__ = ["T0", "WINDOW", "WINDOW_S", "node", "sample", "usage_event"]


def sample(
    container: str = "app",
    *,
    pod: str = "cart-abc",
    namespace: str = "shop",
    workload: str = "cart",
    kind: WorkloadKind = WorkloadKind.DEPLOYMENT,
    **overrides: Any,
) -> ContainerSample:
    """One container row of the ``cart`` Deployment in ``shop`` unless overridden."""
    fields: dict[str, Any] = {
        "cpu_request_millicores": 500,
        "memory_request_bytes": 512 * MIB,
        "cpu_usage_millicores": 120,
        "cpu_peak_millicores": 300,
        "memory_usage_bytes": 200 * MIB,
        "memory_peak_bytes": 256 * MIB,
    }
    return make_container_sample(
        namespace=namespace,
        pod=pod,
        workload_kind=kind,
        workload=workload,
        container=container,
        **{**fields, **overrides},
    )


def node(name: str = "n1", *samples: ContainerSample) -> NodeSamples:
    """A node and its container rows (one default ``sample()`` when none are given)."""
    return (make_node(name=name), list(samples) or [sample()])


def usage_event(
    *, cluster: str = "c1", window_start: datetime = T0, nodes: Sequence[NodeSamples] | None = None
) -> UsageSampled:
    return make_usage_sampled(
        list(nodes) if nodes is not None else [node()],
        cluster=cluster,
        window_start=window_start,
        window_seconds=WINDOW_S,
    )
