"""Composition root of the budgets service: ``build(settings) -> ServiceRuntime``."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from prometheus_client import CollectorRegistry

from kubeopt_budgets.api import build_router
from kubeopt_budgets.handlers import SpendHandler
from kubeopt_budgets.settings import BudgetsSettings
from kubeopt_common.bus import Bus, ConsumerPolicy
from kubeopt_common.db.database import Database
from kubeopt_common.events import SpendUpdated, Subject
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_common.web import ReadinessCheck, create_api

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = "budgets"
SPEND_DURABLE = "budgets"


def build(settings: BudgetsSettings) -> ServiceRuntime:
    """Wire the budgets service; nothing connects until the runtime is started."""
    registry = CollectorRegistry()
    bus = Bus(settings.nats, service=SERVICE, registry=registry)
    db = Database(settings.database, service=SERVICE, migrations=MIGRATIONS)
    bus.consume(
        Subject.SPEND_UPDATED,
        SpendUpdated,
        SpendHandler(db),
        ConsumerPolicy(durable=SPEND_DURABLE),
    )
    api = create_api(
        title="KubeOpt AI budgets",
        description="Namespace spend per period, kept from `spend.updated` events.",
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
    )
