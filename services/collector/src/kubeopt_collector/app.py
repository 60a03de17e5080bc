"""Composition root of the collector: source, bus (publish only), real-time loop, API."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from kubeopt_collector.api import sources_router
from kubeopt_collector.checkpoint import STATE_FILE, Checkpoint
from kubeopt_collector.publishing import MessagePublisher
from kubeopt_collector.service import Collector, Pacer, RealtimePolicy
from kubeopt_collector.settings import CollectorSettings
from kubeopt_collector.source import load_source
from kubeopt_collector.status import CollectorMetrics, SourceStatus
from kubeopt_common.bus import Bus, stream_for
from kubeopt_common.events import Subject
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_common.web import ReadinessCheck, create_api

SERVICE = "collector"
VERSION = "0.1.0"


def build(settings: CollectorSettings) -> ServiceRuntime:
    """Wire the collector. Loads the source (and its scenario) now, so bad input fails fast."""
    registry = CollectorRegistry()
    bus = Bus(settings.nats, service=SERVICE, registry=registry)
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

    return ServiceRuntime(
        name=SERVICE,
        api_settings=settings.api,
        bus=bus,
        api=_api(settings, bus, status, registry),
        loops=[realtime],
    )


def _api(
    settings: CollectorSettings, bus: Bus, status: SourceStatus, registry: CollectorRegistry
) -> FastAPI:
    return create_api(
        title="KubeOpt AI collector",
        description="Publishes cluster inventory, usage and network flows to the bus.",
        version=VERSION,
        token=settings.api.token.get_secret_value(),
        routers=[sources_router(lambda: [status])],
        readiness=[ReadinessCheck("nats", bus.ping)],
        registry=registry,
    )
