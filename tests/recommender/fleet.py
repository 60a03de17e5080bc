"""A small fleet with history, for the run, lifecycle and verification tests.

``shop/cart`` (3 replicas on two zones, PDB) asks 1 CPU / 2 GiB and uses ~200 m / ~400 MiB;
``shop/api`` is scaled by an HPA on CPU; ``shop/fresh`` has two hours of history only;
``etl/nightly`` is a CronJob running 18:00–18:30 UTC. Two days of 5-minute windows, written
straight through the service (the bus path has its own tests) and one inventory snapshot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kubeopt_common.events import (
    CapacityType,
    ContainerSample,
    InventorySnapshotted,
    UsageSampled,
    WorkloadKind,
)
from tests.builders import (
    T0,
    make_container_sample,
    make_container_spec,
    make_hpa,
    make_inventory_snapshotted,
    make_node,
    make_pdb,
    make_pod,
    make_usage_sampled,
    make_workload,
)

MIB = 2**20
GIB = 2**30
WINDOW_S = 300
HISTORY_START = T0 - timedelta(hours=48)
NODES = (
    make_node(name="n1", zone="us-east-1a", instance_type="m5.xlarge"),
    make_node(name="n2", zone="us-east-1b", instance_type="m5.xlarge"),
)
SPOT_NODE = make_node(name="s1", zone="us-east-1a", capacity_type=CapacityType.SPOT)


@dataclass(frozen=True)
class Spec:
    namespace: str
    workload: str
    kind: WorkloadKind
    pods: tuple[tuple[str, str], ...]
    cpu_request: int
    memory_request: int
    cpu_usage: int
    memory_usage: int
    memory_limit: int = 0
    hours: tuple[int, int] | None = None  # (first, last) UTC hour the pods exist, None: always
    history_hours: float = 48.0


SPECS = (
    Spec(
        "shop",
        "cart",
        WorkloadKind.DEPLOYMENT,
        (("cart-a", "n1"), ("cart-b", "n2"), ("cart-c", "n1")),
        1000,
        2 * GIB,
        200,
        400 * MIB,
        memory_limit=2 * GIB,
    ),
    Spec(
        "shop",
        "api",
        WorkloadKind.DEPLOYMENT,
        (("api-a", "n1"), ("api-b", "n2")),
        500,
        1 * GIB,
        300,
        200 * MIB,
    ),
    Spec(
        "shop",
        "fresh",
        WorkloadKind.DEPLOYMENT,
        (("fresh-a", "n2"),),
        500,
        1 * GIB,
        50,
        100 * MIB,
        history_hours=2.0,
    ),
    Spec(
        "etl",
        "nightly",
        WorkloadKind.CRONJOB,
        (("nightly-1", "n2"),),
        2000,
        4 * GIB,
        1500,
        3 * GIB,
        hours=(18, 18),
    ),
)


def _rows(
    spec: Spec, at: datetime, *, pod_node: dict[str, str]
) -> list[tuple[str, ContainerSample]]:
    start = T0 - timedelta(hours=spec.history_hours)
    if at < start or (
        spec.hours and not (spec.hours[0] <= at.hour <= spec.hours[1] and at.minute < 30)
    ):
        return []
    wave = 1 + 0.2 * math.sin(2 * math.pi * at.timestamp() / 86_400)
    out = []
    for pod, node in spec.pods:
        out.append(
            (
                pod_node.get(pod, node),
                make_container_sample(
                    namespace=spec.namespace,
                    pod=pod,
                    workload_kind=spec.kind,
                    workload=spec.workload,
                    container="app",
                    cpu_request_millicores=spec.cpu_request,
                    memory_request_bytes=spec.memory_request,
                    memory_limit_bytes=spec.memory_limit,
                    cpu_usage_millicores=int(spec.cpu_usage * wave),
                    cpu_peak_millicores=int(spec.cpu_usage * wave * 1.3),
                    memory_usage_bytes=spec.memory_usage,
                    memory_peak_bytes=int(spec.memory_usage * (1 + 0.02 * (at.minute % 7) / 7)),
                ),
            )
        )
    return out


def window_event(
    cluster: str,
    at: datetime,
    specs: tuple[Spec, ...] = SPECS,
    *,
    pod_node: dict[str, str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> UsageSampled | None:
    """The usage event of one window (None when nothing runs in it)."""
    by_node: dict[str, list[ContainerSample]] = {}
    for spec in specs:
        for node, row in _rows(spec, at, pod_node=pod_node or {}):
            changed = (overrides or {}).get(spec.workload)
            if changed:
                row = replace(row, **changed)
            by_node.setdefault(node, []).append(row)
    if not by_node:
        return None
    nodes = {n.name: n for n in (*NODES, SPOT_NODE)}
    return make_usage_sampled(
        [(nodes[name], rows) for name, rows in sorted(by_node.items())],
        cluster=cluster,
        window_start=at,
        window_seconds=WINDOW_S,
        occurred_at=at,
    )


def history(
    cluster: str, *, start: datetime = HISTORY_START, end: datetime = T0
) -> list[UsageSampled]:
    out = []
    at = start
    while at < end:
        event = window_event(cluster, at)
        if event is not None:
            out.append(event)
        at += timedelta(seconds=WINDOW_S)
    return out


def inventory(
    cluster: str,
    *,
    snapshot: str = "snap-1",
    taken_at: datetime = T0,
    without: tuple[str, ...] = (),
    pod_node: dict[str, str] | None = None,
    nightly: str = "0 18 * * *",
) -> InventorySnapshotted:
    workloads = [
        make_workload(namespace="shop", name="cart", replicas=3, pdb=make_pdb(min_available=1)),
        make_workload(namespace="shop", name="api", replicas=2, hpa=make_hpa(metric="cpu")),
        make_workload(namespace="shop", name="fresh", replicas=1),
        make_workload(
            namespace="etl",
            name="nightly",
            kind=WorkloadKind.CRONJOB,
            replicas=1,
            schedule=nightly,
        ),
    ]
    pods = [
        make_pod(
            namespace=spec.namespace,
            name=pod,
            node=(pod_node or {}).get(pod, node),
            workload_kind=spec.kind,
            workload=spec.workload,
            containers=(
                make_container_spec(
                    name="app",
                    cpu_request_millicores=spec.cpu_request,
                    memory_request_bytes=spec.memory_request,
                ),
            ),
        )
        for spec in SPECS
        for pod, node in spec.pods
        if spec.kind is WorkloadKind.DEPLOYMENT
    ]
    return make_inventory_snapshotted(
        cluster=cluster,
        snapshot_id=snapshot,
        taken_at=taken_at,
        occurred_at=taken_at,
        nodes=NODES,
        namespaces=(),
        workloads=tuple(w for w in workloads if w.name not in without),
        pods=tuple(p for p in pods if p.workload not in without),
    )


def hourly_profiles(path: Path) -> Path:
    """Dirty evenings (600 g/kWh at 17–21 UTC), clean nights (100 at 0–5), 300 otherwise."""
    values = [100] * 6 + [300] * 11 + [600] * 5 + [300] * 2
    path.write_text(
        "source: test profile\nprofiles:\n  aws:\n    us-east-1: ["
        + ", ".join(str(v) for v in values)
        + "]\n"
    )
    return path
