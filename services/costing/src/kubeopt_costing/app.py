"""Composition of the costing service: stores, price book, bus consumers, API."""

from __future__ import annotations

import asyncio
from importlib.metadata import version

from prometheus_client import CollectorRegistry

from kubeopt_common.bus import Bus, ConsumerPolicy
from kubeopt_common.clickhouse import open_clickhouse
from kubeopt_common.events import (
    FlowsObserved,
    InventorySnapshotted,
    Subject,
    UsageSampled,
    salvage_usage,
)
from kubeopt_common.plugins import PluginGroup, load
from kubeopt_common.queries import NodePriceReply, NodePriceRequest, QuerySubject
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_common.web import ReadinessCheck, create_api
from kubeopt_costing.analytics import CostStore
from kubeopt_costing.analytics.anomalies import AnomalyStore
from kubeopt_costing.analytics.network import NetworkStore
from kubeopt_costing.anomaly_watch import AnomalyWatch
from kubeopt_costing.api import build_anomaly_router, build_network_router, build_router
from kubeopt_costing.carbon_catalog import load_carbon_catalog
from kubeopt_costing.domain.anomaly_policy import AnomalyPolicy
from kubeopt_costing.domain.money import usd_to_nano
from kubeopt_costing.domain.network import DEFAULT_PRIVATE_CIDRS, parse_cidrs
from kubeopt_costing.domain.pricing import NodePricer
from kubeopt_costing.handlers import CostingHandlers
from kubeopt_costing.network import NetworkService
from kubeopt_costing.network_catalog import load_network_prices
from kubeopt_costing.service import CostingService
from kubeopt_costing.settings import AnomalySettings, CostingSettings

SERVICE = "costing"


def anomaly_policy(settings: AnomalySettings) -> AnomalyPolicy:
    return AnomalyPolicy(
        threshold=settings.threshold,
        detect_drops=settings.detect_drops,
        min_cost_nano_usd=usd_to_nano(settings.min_cost_usd_per_hour),
    )


def build(
    settings: CostingSettings, *, registry: CollectorRegistry | None = None
) -> ServiceRuntime:
    """Wire costing. Price files are validated here, so a bad file fails before anything starts."""
    registry = registry or CollectorRegistry()
    cost_model = load(PluginGroup.COST_MODELS, settings.pricing.cost_model)
    prices: NodePricer = cost_model(settings.pricing)
    ch = open_clickhouse(settings.clickhouse)
    store = CostStore(
        ch,
        raw_retention_days=settings.raw_retention_days,
        rollup_retention_days=settings.rollup_retention_days,
    )
    carbon = load_carbon_catalog(
        settings.carbon.data_dir, profiles_file=settings.carbon.profiles_file
    )
    service = CostingService(store, prices, producer=SERVICE, carbon=carbon)
    bus = Bus(settings.nats, service=SERVICE, registry=registry)
    runtime = ServiceRuntime(name=SERVICE, api_settings=settings.api, bus=bus)

    async def migrate() -> None:
        await asyncio.to_thread(store.migrate)

    async def close() -> None:
        ch.close()

    runtime.start_hooks.append(migrate)
    runtime.stop_hooks.append(close)
    network = NetworkService(
        NetworkStore(ch),
        load_network_prices(settings.network.prices_dir),
        private_cidrs=(
            parse_cidrs(settings.network.private_cidrs)
            if settings.network.private_cidrs is not None
            else DEFAULT_PRIVATE_CIDRS
        ),
    )
    watch = (
        AnomalyWatch(AnomalyStore(ch), anomaly_policy(settings.anomalies), producer=SERVICE)
        if settings.anomalies.enabled
        else None
    )
    handlers = CostingHandlers(service, network, bus, watch)
    ingest = settings.ingest
    bus.consume(
        Subject.USAGE_SAMPLED,
        UsageSampled,
        handlers.on_usage,
        ConsumerPolicy(
            durable=SERVICE,
            batch_size=ingest.batch_size,
            fetch_timeout_s=ingest.fetch_timeout_s,
            max_deliver=ingest.max_deliver,
            in_flight=ingest.in_flight,
        ),
        salvage=salvage_usage,  # bad samples are dead-lettered, the rest of the batch is priced
    )
    bus.serve(QuerySubject.NODE_PRICES, NodePriceRequest, NodePriceReply, handlers.on_price_query)
    bus.consume(
        Subject.FLOWS_OBSERVED,
        FlowsObserved,
        handlers.on_flows,
        ConsumerPolicy(durable=f"{SERVICE}-flows", batch_size=ingest.batch_size),
    )
    bus.consume(
        Subject.INVENTORY_SNAPSHOTTED,
        InventorySnapshotted,
        handlers.on_inventory,
        ConsumerPolicy(durable=f"{SERVICE}-inventory", batch_size=16),
    )

    async def clickhouse_ready() -> bool:
        return await asyncio.to_thread(store.ping)

    runtime.api = create_api(
        title="KubeOpt AI — costing",
        description="Attributed Kubernetes spend: allocation by namespace, workload, node, label.",
        version=version("kubeopt-costing"),
        token=settings.api.token.get_secret_value(),
        routers=[
            build_router(service),
            build_network_router(network),
            build_anomaly_router(AnomalyStore(ch)),
        ],
        readiness=[
            ReadinessCheck("nats", bus.ping),
            ReadinessCheck("clickhouse", clickhouse_ready),
        ],
        registry=registry,
    )
    return runtime
