"""Prometheus query results turned into ``usage.sampled`` events of whole nodes.

Per window, every container with a CPU or memory sample becomes a row: its usage (cAdvisor),
requests and limits, restarts and OOM kills (kube-state-metrics), and its pod's node and
workload. The owner chain comes from kube-state-metrics (``kube_pod_owner`` →
``kube_replicaset_owner`` / ``kube_job_owner``), so history is attributed as it was; the live
inventory fills what those metrics lack (labels, pods or nodes they do not know). Node facts
come from the inventory when the node is known there, else from ``kube_node_*`` metrics. With
an inventory, pods carry their claims and ``LoadBalancer`` shares (:mod:`.pod_assets`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from kubeopt_collector.domain import node_labels
from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.kube_objects import NodeRecord
from kubeopt_collector.domain.pod_assets import window_assets
from kubeopt_collector.domain.promql import Series
from kubeopt_common.events import (
    NO_LIMIT,
    ContainerSample,
    Node,
    NodeUsage,
    PodAsset,
    Provider,
    UsageBatchBuilder,
    UsageSampled,
    WorkloadKind,
    event_id_for,
)

ContainerKey = tuple[str, str, str]
PodKey = tuple[str, str]
_DIRECT = {"StatefulSet": WorkloadKind.STATEFULSET, "DaemonSet": WorkloadKind.DAEMONSET}
_NO_OWNER = ("<none>", "")


def ksm_label(key: str) -> str:
    """kube-state-metrics' name for a Kubernetes label (``label_`` + sanitised key)."""
    return "label_" + re.sub(r"[^a-zA-Z0-9_]", "_", key)


_KNOWN_NODE_LABELS = (
    *node_labels.INSTANCE_TYPE_LABELS,
    *node_labels.ZONE_LABELS,
    *node_labels.ARCH_LABELS,
    *node_labels.NODE_POOL_LABELS,
    *(key for key, _ in node_labels.SPOT_LABELS),
)


@dataclass
class WindowData:
    """Everything the queries said about one window."""

    containers: dict[ContainerKey, dict[str, float]] = field(default_factory=dict)
    requests: dict[ContainerKey, dict[str, float]] = field(default_factory=dict)
    limits: dict[ContainerKey, dict[str, float]] = field(default_factory=dict)
    pod_node: dict[PodKey, str] = field(default_factory=dict)
    pod_owner: dict[PodKey, tuple[str, str]] = field(default_factory=dict)
    node_capacity: dict[str, dict[str, float]] = field(default_factory=dict)
    node_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    node_provider_id: dict[str, str] = field(default_factory=dict)


@dataclass
class Results:
    """Query results of one chunk, gathered per window start (unix seconds)."""

    step_s: int
    windows: dict[int, WindowData] = field(default_factory=lambda: defaultdict(WindowData))
    rs_owner: dict[PodKey, tuple[str, str]] = field(default_factory=dict)
    job_owner: dict[PodKey, tuple[str, str]] = field(default_factory=dict)

    def _points(self, series: Series) -> Iterable[tuple[WindowData, float]]:
        for ts, value in series.points:
            yield self.windows[round(ts) - self.step_s], value

    def add_container(self, column: str, series_list: Iterable[Series], pods: set[PodKey]) -> None:
        for s in series_list:
            ns, pod = s.labels.get("namespace", ""), s.labels.get("pod", "")
            if (ns, pod) not in pods:
                continue  # the batch regex also matched a same-named pod elsewhere
            key = (ns, pod, s.labels.get("container", ""))
            for window, value in self._points(s):
                if column == "pod_node":
                    window.pod_node[(ns, pod)] = s.labels.get("node", "")
                elif column == "pod_owner":
                    owner = (s.labels.get("owner_kind", ""), s.labels.get("owner_name", ""))
                    window.pod_owner[(ns, pod)] = owner
                elif column in ("requests", "limits"):
                    table = window.requests if column == "requests" else window.limits
                    table.setdefault(key, {})[s.labels.get("resource", "")] = value
                else:
                    window.containers.setdefault(key, {})[column] = value

    def add_cluster(self, column: str, series_list: Iterable[Series]) -> None:
        for s in series_list:
            labels = s.labels
            if column in ("rs_owner", "job_owner"):
                name = labels.get("replicaset" if column == "rs_owner" else "job_name", "")
                table = self.rs_owner if column == "rs_owner" else self.job_owner
                table[(labels.get("namespace", ""), name)] = (
                    labels.get("owner_kind", ""),
                    labels.get("owner_name", ""),
                )
                continue
            node = labels.get("node", "")
            for window, value in self._points(s):
                if column == "node_capacity":
                    window.node_capacity.setdefault(node, {})[labels.get("resource", "")] = value
                elif column == "node_labels":
                    window.node_labels[node] = labels
                else:
                    window.node_provider_id[node] = labels.get("provider_id", "")


@dataclass(frozen=True)
class UsageContext:
    cluster: str
    producer: str
    provider: Provider
    region: str
    source: str = "prometheus"
    max_samples_per_message: int = 1000


@dataclass
class Assembly:
    """Events of one window and the containers that could not be placed on a node."""

    events: list[UsageSampled]
    skipped: list[tuple[str, str]]  # (container identity, reason)


def _owner_workload(
    results: Results, inventory: ClusterInventory | None, ns: str, pod: str, owner: tuple[str, str]
) -> tuple[WorkloadKind, str]:
    kind, name = owner
    if kind == "ReplicaSet":
        parent = results.rs_owner.get((ns, name))
        if parent is not None:
            owner_kind, owner_name = parent
            bare = owner_kind in _NO_OWNER or owner_name in _NO_OWNER
            return WorkloadKind.DEPLOYMENT, name if bare else owner_name
        if inventory is not None:
            return inventory.resolve_owner(ns, kind, name)
        return WorkloadKind.DEPLOYMENT, name.rsplit("-", 1)[0]
    if kind == "Job":
        parent = results.job_owner.get((ns, name))
        if parent is not None and parent[0] == "CronJob":
            return WorkloadKind.CRONJOB, parent[1]
        if parent is None and inventory is not None:
            return inventory.resolve_owner(ns, kind, name)
        return WorkloadKind.JOB, name
    if kind in _DIRECT:
        return _DIRECT[kind], name
    if kind in ("", "<none>"):
        return WorkloadKind.POD, pod
    return WorkloadKind.POD, name


def _workload(
    results: Results, window: WindowData, inventory: ClusterInventory | None, ns: str, pod: str
) -> tuple[WorkloadKind, str]:
    owner = window.pod_owner.get((ns, pod))
    if owner is not None:
        return _owner_workload(results, inventory, ns, pod, owner)
    record = inventory.pod(ns, pod) if inventory is not None else None
    if record is not None and inventory is not None:
        return inventory.workload_of(record)
    return WorkloadKind.POD, pod


def _zone_from_provider_id(provider_id: str) -> str:
    """``aws:///us-east-1a/i-…`` and ``gce://project/us-central1-b/name`` carry the zone."""
    if provider_id.startswith("aws:///"):
        return provider_id.removeprefix("aws:///").split("/", 1)[0]
    if provider_id.startswith("gce://"):
        parts = provider_id.removeprefix("gce://").split("/")
        return parts[1] if len(parts) > 2 else ""
    return ""


def node_from_metrics(name: str, window: WindowData) -> Node | None:
    """A node from ``kube_node_*`` metrics; None without a CPU and memory capacity."""
    capacity = window.node_capacity.get(name, {})
    cpu, memory = capacity.get("cpu", 0.0), capacity.get("memory", 0.0)
    if cpu <= 0 or memory <= 0:
        return None
    ksm = window.node_labels.get(name, {})
    labels = {key: ksm[ksm_label(key)] for key in _KNOWN_NODE_LABELS if ksm.get(ksm_label(key))}
    arch: Literal["amd64", "arm64"] = (
        "arm64" if node_labels.architecture(labels) == "arm64" else "amd64"
    )
    return Node(
        name=name,
        instance_type=node_labels.instance_type(labels),
        zone=node_labels.zone(labels)
        or _zone_from_provider_id(window.node_provider_id.get(name, "")),
        capacity_type=node_labels.capacity_type(labels),
        architecture=arch,
        node_pool=node_labels.node_pool(labels),
        cpu_capacity_millicores=round(cpu * 1000),
        memory_capacity_bytes=round(memory),
        gpu_count=round(capacity.get("nvidia_com_gpu", 0.0)),
        labels=labels,
    )


def node_from_record(record: NodeRecord) -> Node:
    return Node(
        name=record.name,
        instance_type=record.instance_type,
        zone=record.zone,
        capacity_type=record.capacity_type,
        architecture="arm64" if record.architecture == "arm64" else "amd64",
        node_pool=record.node_pool,
        cpu_capacity_millicores=record.cpu_capacity_millicores,
        memory_capacity_bytes=record.memory_capacity_bytes,
        gpu_count=record.gpu_count,
        labels=dict(record.labels),
    )


def _millicores(cores: float | None) -> int:
    return max(0, round((cores or 0.0) * 1000))


def _int(value: float | None) -> int:
    return max(0, round(value or 0.0))


def _sample(
    key: ContainerKey,
    window: WindowData,
    workload: tuple[WorkloadKind, str],
    inventory: ClusterInventory | None,
) -> ContainerSample:
    ns, pod, container = key
    usage = window.containers[key]
    requests = window.requests.get(key)
    limits = window.limits.get(key, {})
    record = inventory.pod(ns, pod) if inventory is not None else None
    spec = next((c for c in record.containers if c.name == container), None) if record else None
    if requests is None and spec is not None:
        cpu_req, mem_req, gpu = (
            spec.cpu_request_millicores,
            spec.memory_request_bytes,
            spec.gpu_request,
        )
        cpu_lim, mem_lim = (
            spec.cpu_limit_millicores or NO_LIMIT,
            spec.memory_limit_bytes or NO_LIMIT,
        )
    else:
        requests = requests or {}
        cpu_req, mem_req = _millicores(requests.get("cpu")), _int(requests.get("memory"))
        gpu = _int(requests.get("nvidia_com_gpu"))
        cpu_lim, mem_lim = _millicores(limits.get("cpu")), _int(limits.get("memory"))
    restarts = _int(usage.get("restarts"))
    cpu = _millicores(usage.get("cpu"))
    memory = _int(usage.get("memory"))
    return ContainerSample(
        namespace=ns,
        pod=pod,
        workload_kind=workload[0],
        workload=workload[1],
        container=container,
        cpu_usage_millicores=cpu,
        memory_usage_bytes=memory,
        labels=dict(record.labels) if record else {},
        cpu_request_millicores=cpu_req,
        memory_request_bytes=mem_req,
        cpu_limit_millicores=cpu_lim,
        memory_limit_bytes=mem_lim,
        gpu_request=gpu,
        cpu_peak_millicores=max(cpu, _millicores(usage.get("cpu_peak"))),
        memory_peak_bytes=max(memory, _int(usage.get("memory_peak"))),
        cpu_throttled_ms=_int((usage.get("throttled") or 0.0) * 1000),
        oom_kills=restarts if usage.get("oom", 0.0) >= 1 else 0,
        restarts=restarts,
    )


def assemble(
    results: Results,
    window_start_s: int,
    *,
    context: UsageContext,
    inventory: ClusterInventory | None,
) -> Assembly:
    """The ``usage.sampled`` events of one window (whole nodes, name order)."""
    window = results.windows.get(window_start_s, WindowData())
    rows: dict[str, list[ContainerSample]] = defaultdict(list)
    skipped: list[tuple[str, str]] = []
    for key in sorted(window.containers):
        ns, pod, container = key
        if "cpu" not in window.containers[key] and "memory" not in window.containers[key]:
            continue
        record = inventory.pod(ns, pod) if inventory is not None else None
        node = window.pod_node.get((ns, pod)) or (record.node if record else "")
        if not node:
            skipped.append((f"{ns}/{pod}/{container}", "no_node"))
            continue
        workload = _workload(results, window, inventory, ns, pod)
        rows[node].append(_sample(key, window, workload, inventory))
    nodes: dict[str, Node] = {}
    for name in sorted(set(rows) | set(window.node_capacity)):
        known = inventory.node(name) if inventory is not None else None
        facts = node_from_record(known) if known is not None else node_from_metrics(name, window)
        if facts is None:
            skipped.extend(
                (f"{r.namespace}/{r.pod}/{r.container}", "unknown_node") for r in rows.get(name, [])
            )
            continue
        nodes[name] = facts
    published = {name: rows[name] for name in nodes if name in rows}
    assets = window_assets(published, inventory) if inventory is not None else {}
    events = build_events(nodes, published, window_start_s, results.step_s, context, assets=assets)
    return Assembly(events, skipped)


def build_events(
    nodes: Mapping[str, Node],
    rows: Mapping[str, Sequence[ContainerSample]],
    window_start_s: int,
    step_s: int,
    context: UsageContext,
    *,
    assets: Mapping[str, Sequence[PodAsset]] | None = None,
) -> list[UsageSampled]:
    """Whole nodes in name order, at most ``max_samples_per_message`` samples a message (a
    bigger node goes alone); ``assets`` are each node's pod assets."""
    assets = assets or {}
    events: list[UsageSampled] = []
    batch: list[str] = []
    samples = 0
    for name in [*sorted(nodes), None]:
        size = len(rows.get(name, ())) if name is not None else 0
        if batch and (name is None or samples + size > context.max_samples_per_message):
            events.append(_event(batch, nodes, rows, assets, window_start_s, step_s, context))
            batch, samples = [], 0
        if name is not None:
            batch.append(name)
            samples += size
    return events


def _event(
    batch: Sequence[str],
    nodes: Mapping[str, Node],
    rows: Mapping[str, Sequence[ContainerSample]],
    assets: Mapping[str, Sequence[PodAsset]],
    window_start_s: int,
    step_s: int,
    context: UsageContext,
) -> UsageSampled:
    builder = UsageBatchBuilder()
    node_usage = tuple(
        NodeUsage(
            node=nodes[n],
            containers=builder.columns(rows.get(n, ())),
            assets=tuple(assets.get(n, ())),
        )
        for n in batch
    )
    fields: dict[str, Any] = {
        "occurred_at": datetime.fromtimestamp(window_start_s + step_s, tz=UTC),
        "cluster": context.cluster,
        "producer": context.producer,
        "provider": context.provider,
        "region": context.region,
        "window_start": datetime.fromtimestamp(window_start_s, tz=UTC),
        "window_seconds": step_s,
        "label_sets": builder.label_sets,
        "nodes": node_usage,
    }
    event_id = event_id_for(
        "usage", context.cluster, context.source, window_start_s, batch[0], batch[-1]
    )
    return UsageSampled.create(event_id=event_id, **fields)
