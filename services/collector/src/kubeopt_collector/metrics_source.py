"""The metrics-server usage source (``metrics.k8s.io``), for clusters without Prometheus.

metrics-server keeps no history: it answers the latest usage of each container. This source
samples it every ``sample_interval_s`` and publishes, for each closed window of ``window_s``,
the average and peak of the samples taken in it, joined with the cluster's inventory
(node facts, workloads, labels, requests and limits, the pods' claims and ``LoadBalancer``
shares). Every inventory node is published, idle ones too, so costing can price idle capacity.
A pod the inventory does not know (yet) or an unreadable quantity is logged, counted and
skipped.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.pod_assets import window_assets
from kubeopt_collector.domain.prom_usage import UsageContext, build_events, node_from_record
from kubeopt_collector.domain.quantities import parse_cpu_millicores, parse_memory_bytes
from kubeopt_collector.health import Backoff, SourceHealth
from kubeopt_collector.inventory_source import in_daemon_thread
from kubeopt_collector.kube import KubeApiError, KubeClient
from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_common.events import NO_LIMIT, ContainerSample, Node

Publish = Callable[[Sequence[OutgoingMessage]], Awaitable[object]]
ContainerKey = tuple[str, str, str]


@dataclass
class _Accumulated:
    cpu_sum: int = 0
    cpu_max: int = 0
    memory_sum: int = 0
    memory_max: int = 0
    samples: int = 0

    def add(self, cpu: int, memory: int) -> None:
        self.cpu_sum += cpu
        self.memory_sum += memory
        self.cpu_max = max(self.cpu_max, cpu)
        self.memory_max = max(self.memory_max, memory)
        self.samples += 1


@dataclass
class WindowSamples:
    """Samples of one window, per container."""

    start_s: int
    containers: dict[ContainerKey, _Accumulated] = field(
        default_factory=lambda: defaultdict(_Accumulated)
    )


class MetricsServerSource:
    name = "metrics_server"

    def __init__(
        self,
        *,
        client_factory: Callable[[], KubeClient],
        context: UsageContext,
        inventory: ClusterInventory,
        health: SourceHealth,
        publish: Publish,
        sample_interval_s: int = 60,
        window_s: int = 300,
        backoff: Backoff | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client_factory = client_factory
        self.context = context
        self.inventory = inventory
        self.health = health
        self._publish = publish
        self.sample_interval_s = sample_interval_s
        self.window_s = window_s
        self._backoff = backoff or Backoff()
        self._now = now
        self.window: WindowSamples | None = None

    async def run(self) -> None:
        client: KubeClient | None = None
        failures = 0
        try:
            while True:
                try:
                    if client is None:
                        client = self._client_factory()
                    await self.sample(client)
                    failures = 0
                except KubeApiError as err:
                    failures += 1
                    delay = self._backoff.delay(failures)
                    self.health.failed(err, retry_in_s=delay)
                    await asyncio.sleep(delay)
                    continue
                await asyncio.sleep(self.sample_interval_s)
        finally:
            if client is not None:
                client.close()

    async def sample(self, client: KubeClient) -> None:
        """Take one sample; first publish the previous window when this one is a new window."""
        items = await in_daemon_thread(lambda: client.metrics("pods"))
        self.health.seen()
        now_s = int(self._now().timestamp())
        start_s = now_s - now_s % self.window_s
        if self.window is not None and self.window.start_s != start_s:
            await self.flush()
        if self.window is None:
            self.window = WindowSamples(start_s)
        for item in items:
            self._add(self.window, item)

    def _add(self, window: WindowSamples, item: dict[str, Any]) -> None:
        meta = item.get("metadata") or {}
        ns, pod = str(meta.get("namespace", "")), str(meta.get("name", ""))
        for container in item.get("containers") or []:
            name = str(container.get("name", ""))
            usage = container.get("usage") or {}
            try:
                cpu = parse_cpu_millicores(usage.get("cpu", "0"))
                memory = parse_memory_bytes(usage.get("memory", "0"))
            except ValueError as err:
                self.health.skip(
                    kind="PodMetrics",
                    reason="unreadable",
                    identity=f"PodMetrics {ns}/{pod} container {name}",
                    detail=str(err),
                )
                continue
            window.containers[(ns, pod, name)].add(cpu, memory)

    async def flush(self) -> int:
        """Publish the current window (if any); returns the number of messages."""
        window, self.window = self.window, None
        if window is None:
            return 0
        nodes = {n.name: node_from_record(n) for n in self.inventory.nodes()}
        rows: dict[str, list[ContainerSample]] = defaultdict(list)
        for key in sorted(window.containers):
            row = self._row(key, window.containers[key], nodes)
            if row is not None:
                rows[row[0]].append(row[1])
        assets = window_assets(rows, self.inventory)
        events = build_events(
            nodes, rows, window.start_s, self.window_s, self.context, assets=assets
        )
        messages = [OutgoingMessage.of(e) for e in events]
        if messages:
            await self._publish(messages)
            self.health.record_published(len(messages))
        return len(messages)

    def _row(
        self, key: ContainerKey, acc: _Accumulated, nodes: dict[str, Node]
    ) -> tuple[str, ContainerSample] | None:
        ns, pod, container = key
        record = self.inventory.pod(ns, pod)
        spec = next((c for c in record.containers if c.name == container), None) if record else None
        if record is None or spec is None or record.node not in nodes:
            self.health.skip(
                kind="PodMetrics",
                reason="unknown_pod",
                identity=f"{ns}/{pod}/{container}",
                detail="not in the inventory (yet) or on an unknown node",
            )
            return None
        kind, workload = self.inventory.workload_of(record)
        return record.node, ContainerSample(
            namespace=ns,
            pod=pod,
            workload_kind=kind,
            workload=workload,
            container=container,
            cpu_usage_millicores=acc.cpu_sum // acc.samples,
            memory_usage_bytes=acc.memory_sum // acc.samples,
            labels=dict(record.labels),
            cpu_request_millicores=spec.cpu_request_millicores,
            memory_request_bytes=spec.memory_request_bytes,
            cpu_limit_millicores=spec.cpu_limit_millicores or NO_LIMIT,
            memory_limit_bytes=spec.memory_limit_bytes or NO_LIMIT,
            gpu_request=spec.gpu_request,
            cpu_peak_millicores=acc.cpu_max,
            memory_peak_bytes=acc.memory_max,
        )
