"""Composition root of the recommender service: ``build(settings) -> ServiceRuntime``."""

from __future__ import annotations

from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

from prometheus_client import CollectorRegistry

from kubeopt_common.bus import Bus, ConsumerPolicy
from kubeopt_common.db.database import Database
from kubeopt_common.events import Subject, UsageSampled
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_common.web import ReadinessCheck, create_api
from kubeopt_recommender.analyzers.registry import installed_analyzers
from kubeopt_recommender.api import build_router
from kubeopt_recommender.handlers import InboxPruner, UsageHandler
from kubeopt_recommender.settings import RecommenderSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = "recommender"
USAGE_DURABLE = "recommender"


def build(settings: RecommenderSettings) -> ServiceRuntime:
    """Wire the recommender; nothing connects until the runtime is started.

    Raises :class:`~kubeopt_recommender.errors.AnalyzerLoadError` for a broken analyzer plugin.
    """
    analyzers = installed_analyzers(settings.analysis)
    registry = CollectorRegistry()
    bus = Bus(settings.nats, service=SERVICE, registry=registry)
    db = Database(settings.database, service=SERVICE, migrations=MIGRATIONS)
    bus.consume(
        Subject.USAGE_SAMPLED, UsageSampled, UsageHandler(db), ConsumerPolicy(durable=USAGE_DURABLE)
    )
    pruner = InboxPruner(
        db,
        retention=timedelta(hours=settings.inbox_retention_hours),
        interval_s=settings.inbox_prune_interval_s,
    )
    api = create_api(
        title="KubeOpt AI recommender",
        description="Container usage history from `usage.sampled`, and its analyzers.",
        version=version("kubeopt-recommender"),
        token=settings.api.token.get_secret_value(),
        routers=[build_router(db, analyzers=analyzers, analysis=settings.analysis)],
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
        loops=[pruner.run],
    )
