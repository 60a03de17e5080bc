"""Runs the sources of every registered cluster: one collector process serves many clusters.

Each cluster gets its own inventory (kept by its ``kubernetes`` source, read by its usage and
flow sources) and one task per source. A source that fails in a way it does not handle itself
(an unresolvable secret reference, a bug) is restarted with backoff, and its status says why;
the other sources and clusters go on. The registry API calls :meth:`ClusterSupervisor.apply`
and :meth:`ClusterSupervisor.remove` after its transaction commits.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kubeopt_collector.domain.clusters import (
    ClusterSpec,
    FlowLogsSourceSpec,
    KubernetesSourceSpec,
    MetricsServerSourceSpec,
    PrometheusSourceSpec,
    SourceSpec,
)
from kubeopt_collector.domain.flows import Resolver, networks
from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.prom_usage import UsageContext
from kubeopt_collector.domain.snapshot import SnapshotHeader
from kubeopt_collector.flow_source import FlowLogSource
from kubeopt_collector.health import Backoff, SourceHealth, SourceMetrics, SourceState
from kubeopt_collector.inventory_source import InventoryOptions, KubernetesInventorySource
from kubeopt_collector.kube import KubeApiError, KubeClient, KubeConnection
from kubeopt_collector.metrics_source import MetricsServerSource
from kubeopt_collector.prometheus import PrometheusAuth, PrometheusClient
from kubeopt_collector.prometheus_source import (
    Checkpoints,
    PrometheusOptions,
    PrometheusUsageSource,
)
from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)
Publish = Callable[[Sequence[OutgoingMessage]], Awaitable[object]]
SecretResolver = Callable[[str], str]
CheckpointFactory = Callable[[uuid.UUID, str], Checkpoints]


class RunnableSource(Protocol):
    """What the supervisor runs: ``run()`` until cancelled."""

    async def run(self) -> None: ...


@dataclass
class ClusterRuntime:
    cluster_id: uuid.UUID
    spec: ClusterSpec
    inventory: ClusterInventory
    health: dict[str, SourceHealth] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class ClusterSupervisor:
    """Starts, restarts and stops the sources of registered clusters."""

    def __init__(
        self,
        *,
        metrics: SourceMetrics,
        resolve_secret: SecretResolver,
        checkpoints: CheckpointFactory,
        producer: str = "collector",
        backoff: Backoff | None = None,
    ) -> None:
        self.metrics = metrics
        self._resolve = resolve_secret
        self._checkpoints = checkpoints
        self._producer = producer
        self._backoff = backoff or Backoff()
        self._publish: Publish | None = None
        self.clusters: dict[uuid.UUID, ClusterRuntime] = {}
        self._pending: dict[uuid.UUID, ClusterSpec | None] = {}

    @property
    def running(self) -> bool:
        return self._publish is not None

    async def run(self, publish: Publish, clusters: Mapping[uuid.UUID, ClusterSpec]) -> None:
        """Run ``clusters`` (and whatever is applied later) until cancelled."""
        self._publish = publish
        for cluster_id, spec in {**clusters, **self._pending}.items():
            if spec is not None:
                self._start(cluster_id, spec)
        self._pending.clear()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    def apply(self, cluster_id: uuid.UUID, spec: ClusterSpec) -> None:
        """(Re)start a cluster's sources with ``spec``."""
        if not self.running:
            self._pending[cluster_id] = spec
            return
        self._stop_cluster(cluster_id)
        self._start(cluster_id, spec)

    def remove(self, cluster_id: uuid.UUID) -> None:
        if not self.running:
            self._pending[cluster_id] = None
            return
        self._stop_cluster(cluster_id)

    def health(self, cluster_id: uuid.UUID) -> list[SourceHealth]:
        runtime = self.clusters.get(cluster_id)
        return [] if runtime is None else list(runtime.health.values())

    async def stop(self) -> None:
        tasks = [t for runtime in self.clusters.values() for t in runtime.tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.clusters.clear()
        self._publish = None

    def _stop_cluster(self, cluster_id: uuid.UUID) -> None:
        runtime = self.clusters.pop(cluster_id, None)
        if runtime is None:
            return
        for task in runtime.tasks:
            task.cancel()
        for health in runtime.health.values():
            health.state = SourceState.STOPPED

    def _start(self, cluster_id: uuid.UUID, spec: ClusterSpec) -> None:
        runtime = ClusterRuntime(cluster_id, spec, ClusterInventory())
        self.clusters[cluster_id] = runtime
        for source_spec in spec.sources:
            health = SourceHealth(spec.name, source_spec.kind, metrics=self.metrics)
            runtime.health[source_spec.kind] = health
            task = asyncio.create_task(
                self._supervise(runtime, source_spec, health),
                name=f"source-{spec.name}-{source_spec.kind}",
            )
            runtime.tasks.append(task)
        log.info(
            "collector.cluster_started", cluster=spec.name, sources=[s.kind for s in spec.sources]
        )

    async def _supervise(
        self, runtime: ClusterRuntime, source_spec: SourceSpec, health: SourceHealth
    ) -> None:
        failures = 0
        while True:
            try:
                source = self.build(runtime, source_spec, health)
                await source.run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as err:  # one source's failure must not stop the others
                failures += 1
                delay = self._backoff.delay(failures)
                health.failed(err, retry_in_s=delay)
                await asyncio.sleep(delay)

    def build(
        self, runtime: ClusterRuntime, spec: SourceSpec, health: SourceHealth
    ) -> RunnableSource:
        """The source object of ``spec`` (secrets are resolved when it connects)."""
        publish = self._publish
        if publish is None:
            raise RuntimeError("the supervisor is not running")
        if isinstance(spec, KubernetesSourceSpec):
            return self._kube_source(runtime, spec, health, publish)
        if isinstance(spec, PrometheusSourceSpec):
            return self._prometheus_source(runtime, spec, health, publish)
        if isinstance(spec, MetricsServerSourceSpec):
            return self._metrics_source(runtime, spec, health, publish)
        return self._flow_source(runtime, spec, health, publish)

    def _context(self, cluster: ClusterSpec, kind: str) -> UsageContext:
        return UsageContext(cluster.name, self._producer, cluster.provider, cluster.region, kind)

    def _kube_source(
        self,
        runtime: ClusterRuntime,
        spec: KubernetesSourceSpec,
        health: SourceHealth,
        publish: Publish,
    ) -> KubernetesInventorySource:
        cluster = runtime.spec
        return KubernetesInventorySource(
            client_factory=lambda: self._kube_client(spec),
            header=SnapshotHeader(cluster.name, self._producer, cluster.provider, cluster.region),
            inventory=runtime.inventory,
            health=health,
            publish=publish,
            options=InventoryOptions(
                page_size=spec.page_size,
                watch_timeout_s=spec.watch_timeout_s,
                resync_s=spec.resync_s,
                delta_flush_s=spec.delta_flush_s,
            ),
        )

    def _prometheus_source(
        self,
        runtime: ClusterRuntime,
        spec: PrometheusSourceSpec,
        health: SourceHealth,
        publish: Publish,
    ) -> PrometheusUsageSource:
        cluster = runtime.spec
        return PrometheusUsageSource(
            client_factory=lambda: self._prometheus_client(spec),
            context=self._context(cluster, spec.kind),
            inventory=runtime.inventory if cluster.source("kubernetes") is not None else None,
            health=health,
            publish=publish,
            checkpoints=self._checkpoints(runtime.cluster_id, spec.kind),
            options=PrometheusOptions(
                step_s=spec.step_s,
                backfill_s=round(spec.backfill_days * 86_400),
                lag_s=spec.lag_s,
                pod_batch_size=spec.pod_batch_size,
                max_points_per_series=spec.max_points_per_series,
                max_samples_per_query=spec.max_samples_per_query,
                selector=spec.selector,
            ),
        )

    def _metrics_source(
        self,
        runtime: ClusterRuntime,
        spec: MetricsServerSourceSpec,
        health: SourceHealth,
        publish: Publish,
    ) -> MetricsServerSource:
        kube = runtime.spec.source("kubernetes")
        if not isinstance(kube, KubernetesSourceSpec):
            raise ValueError("a metrics_server source needs the cluster's kubernetes source")
        return MetricsServerSource(
            client_factory=lambda: self._kube_client(kube),
            context=self._context(runtime.spec, spec.kind),
            inventory=runtime.inventory,
            health=health,
            publish=publish,
            sample_interval_s=spec.sample_interval_s,
            window_s=spec.window_s,
        )

    def _flow_source(
        self,
        runtime: ClusterRuntime,
        spec: FlowLogsSourceSpec,
        health: SourceHealth,
        publish: Publish,
    ) -> FlowLogSource:
        cluster = runtime.spec
        inventory = runtime.inventory if cluster.source("kubernetes") is not None else None
        return FlowLogSource(
            path=Path(spec.path),
            fmt=spec.format,
            resolver=Resolver(
                inventory, internal=networks(spec.internal_cidrs), region=cluster.region
            ),
            cluster=cluster.name,
            producer=self._producer,
            provider=cluster.provider,
            region=cluster.region,
            health=health,
            publish=publish,
            checkpoints=self._checkpoints(runtime.cluster_id, spec.kind),
            window_s=spec.window_s,
            poll_s=spec.poll_s,
        )

    def _kube_client(self, spec: KubernetesSourceSpec) -> KubeClient:
        try:
            token = self._resolve(spec.token) if spec.token else None
        except ValueError as err:
            raise KubeApiError(str(err)) from err
        return KubeClient(
            KubeConnection(
                mode=spec.connection,
                kubeconfig=spec.kubeconfig,
                context=spec.context,
                host=spec.host,
                token=token,
                ca_file=spec.ca_file,
                verify_tls=spec.verify_tls,
            )
        )

    def _prometheus_client(self, spec: PrometheusSourceSpec) -> PrometheusClient:
        auth = PrometheusAuth()
        if spec.auth == "bearer" and spec.bearer_token:
            auth = PrometheusAuth(bearer_token=self._resolve(spec.bearer_token))
        elif spec.auth == "basic" and spec.password:
            auth = PrometheusAuth(username=spec.username, password=self._resolve(spec.password))
        return PrometheusClient(
            spec.url,
            auth=auth,
            headers=spec.headers,
            verify_tls=spec.verify_tls,
            timeout_s=spec.timeout_s,
        )
