"""Composition root of the collector: the built-in source (the simulator by default) with its
real-time loop, the cluster registry with its sources, the bus (publish only), the API."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from kubeopt_collector import repository
from kubeopt_collector.api import clusters_router, sources_router
from kubeopt_collector.checkpoint import STATE_FILE, Checkpoint
from kubeopt_collector.domain.clusters import ClusterSpec
from kubeopt_collector.health import SourceMetrics
from kubeopt_collector.publishing import MessagePublisher
from kubeopt_collector.registry import ClusterSupervisor
from kubeopt_collector.registry_file import load_clusters_file
from kubeopt_collector.service import Collector, Pacer, RealtimePolicy
from kubeopt_collector.settings import NO_SOURCE, CollectorSettings, resolve_secret
from kubeopt_collector.source import load_source
from kubeopt_collector.source_checkpoints import SourceCheckpoints
from kubeopt_collector.status import CollectorMetrics, SourceStatus
from kubeopt_common.bus import Bus, stream_for
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import Subject
from kubeopt_common.runtime import Loop, ServiceRuntime
from kubeopt_common.web import ReadinessCheck, create_api

SERVICE = "collector"
VERSION = "0.1.0"
MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: CollectorSettings) -> ServiceRuntime:
    """Wire the collector. Loads the built-in source (and its scenario) and the clusters file
    now, so bad input fails fast."""
    registry = CollectorRegistry()
    bus = Bus(settings.nats, service=SERVICE, registry=registry)
    db = Database(settings.database, service=SERVICE, migrations=MIGRATIONS)
    declared = load_clusters_file(settings.clusters_file) if settings.clusters_file else []
    supervisor = ClusterSupervisor(
        metrics=SourceMetrics.create(registry),
        resolve_secret=resolve_secret,
        checkpoints=lambda cluster_id, kind: SourceCheckpoints(
            db, cluster_id=cluster_id, source=kind
        ),
    )
    loops: list[Loop] = []
    statuses: list[SourceStatus] = []
    if settings.source != NO_SOURCE:
        status, realtime = _builtin_source(settings, bus, registry)
        statuses.append(status)
        loops.append(realtime)

    async def registered_clusters() -> None:
        clusters = await _register(db, declared)
        publisher = MessagePublisher(bus.broker.connection)
        await supervisor.run(publisher.publish_many, clusters)

    loops.append(registered_clusters)
    return ServiceRuntime(
        name=SERVICE,
        api_settings=settings.api,
        bus=bus,
        api=_api(settings, bus, db, statuses, supervisor, registry),
        start_hooks=[db.start],
        stop_hooks=[db.stop],
        loops=loops,
    )


async def _register(db: Database, declared: list[ClusterSpec]) -> dict[uuid.UUID, ClusterSpec]:
    """Upsert the declared clusters by name, then return every registered cluster."""
    async with unit_of_work(db.sessions) as session:
        for spec in declared:
            row = await repository.get_cluster(session, spec.name)
            if row is None:
                await repository.add_cluster(session, spec)
            else:
                repository.replace_cluster(row, spec)
        rows = await repository.list_clusters(session)
        return {row.id: repository.spec_of(row) for row in rows}


def _builtin_source(
    settings: CollectorSettings, bus: Bus, registry: CollectorRegistry
) -> tuple[SourceStatus, Loop]:
    source = load_source(settings)
    status = SourceStatus(
        name=settings.source,
        kind=source.kind,
        clusters=tuple(source.clusters),
        metrics=CollectorMetrics.create(registry),
    )
    collector = Collector(
        source,
        checkpoint=Checkpoint(settings.state_dir / STATE_FILE),
        status=status,
        policy=RealtimePolicy(
            initial_backfill_s=settings.initial_backfill_s,
            max_catch_up_s=settings.max_catch_up_s,
            inventory_interval_s=settings.inventory_interval_s,
        ),
    )

    async def realtime() -> None:
        connection = bus.broker.connection
        pacer = None
        if settings.pace_consumer:
            pacer = Pacer(
                connection.jetstream(),
                stream=stream_for(Subject.USAGE_SAMPLED).name,
                durable=settings.pace_consumer,
                max_pending_messages=settings.pace_max_pending,
            )
        await collector.run(MessagePublisher(connection), pacer=pacer)

    return status, realtime


def _api(
    settings: CollectorSettings,
    bus: Bus,
    db: Database,
    statuses: list[SourceStatus],
    supervisor: ClusterSupervisor,
    registry: CollectorRegistry,
) -> FastAPI:
    return create_api(
        title="KubeOpt AI collector",
        description=(
            "Publishes cluster inventory, usage and network flows to the bus; registers the "
            "clusters it serves (`/v1/clusters`)."
        ),
        version=VERSION,
        token=settings.api.token.get_secret_value(),
        routers=[sources_router(lambda: statuses), clusters_router(db, supervisor)],
        readiness=[ReadinessCheck("nats", bus.ping), ReadinessCheck("database", db.ping)],
        registry=registry,
    )
