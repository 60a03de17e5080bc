"""Composition root of the budgets service: ``build(settings) -> ServiceRuntime``."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from prometheus_client import CollectorRegistry

from kubeopt_budgets.api import build_router
from kubeopt_budgets.handlers import CrossingRelay, InventoryHandler, SpendHandler
from kubeopt_budgets.settings import BudgetsSettings
from kubeopt_common.bus import Bus, ConsumerPolicy
from kubeopt_common.db.database import Database
from kubeopt_common.events import InventorySnapshotted, SpendUpdated, Subject
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_common.web import ReadinessCheck, create_api

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = "budgets"
SPEND_DURABLE = "budgets"
INVENTORY_DURABLE = "budgets-inventory"
# A pull waits up to fetch_timeout_s to fill its batch once a first message arrived (nats-py);
# 50 ms keeps batches for bursts of spend without holding a lone event back for long.
SPEND_POLICY = ConsumerPolicy(durable=SPEND_DURABLE, fetch_timeout_s=0.05)


def build(settings: BudgetsSettings) -> ServiceRuntime:
    """Wire the budgets service; nothing connects until the runtime is started."""
    registry = CollectorRegistry()
    bus = Bus(settings.nats, service=SERVICE, registry=registry)
    db = Database(settings.database, service=SERVICE, migrations=MIGRATIONS)
    relay = CrossingRelay(db, bus, interval_s=settings.relay_interval_s)
    bus.consume(
        Subject.SPEND_UPDATED,
        SpendUpdated,
        SpendHandler(db, relay),
        SPEND_POLICY,
    )
    bus.consume(
        Subject.INVENTORY_SNAPSHOTTED,
        InventorySnapshotted,
        InventoryHandler(db),
        ConsumerPolicy(durable=INVENTORY_DURABLE, batch_size=16),
    )
    api = create_api(
        title="KubeOpt AI budgets",
        description=(
            "Budgets per cluster, namespace or namespace labels, in their own time zone, "
            "evaluated on every `spend.updated`; each threshold crossing is published once as "
            "`budget.threshold_crossed`. Also the namespace spend ledger."
        ),
        version=version("kubeopt-budgets"),
        token=settings.api.token.get_secret_value(),
        routers=[build_router(db)],
        readiness=[ReadinessCheck("nats", bus.ping), ReadinessCheck("database", db.ping)],
        registry=registry,
    )
    return ServiceRuntime(
        name=SERVICE,
        api_settings=settings.api,
        bus=bus,
        api=api,
        start_hooks=[db.start],
        stop_hooks=[db.stop],
        loops=[relay.run],
    )
