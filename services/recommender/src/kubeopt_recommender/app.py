"""Composition root of the recommender service: ``build(settings) -> ServiceRuntime``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

from prometheus_client import CollectorRegistry

from kubeopt_common.bus import Bus, ConsumerPolicy
from kubeopt_common.bus.queries import ask
from kubeopt_common.db.database import Database
from kubeopt_common.events import Event, InventorySnapshotted, Subject, UsageSampled
from kubeopt_common.queries import NodePriceReply, NodePriceRequest, QuerySubject
from kubeopt_common.runtime import Loop, ServiceRuntime
from kubeopt_common.web import ReadinessCheck, create_api
from kubeopt_recommender.analyzers.registry import installed_analyzers
from kubeopt_recommender.api import (
    LifecycleDeps,
    models_router,
    observations_router,
    recommendations_router,
    runs_router,
)
from kubeopt_recommender.carbon_catalog import load_catalog
from kubeopt_recommender.handlers import InboxPruner, InventoryHandler, UsageHandler
from kubeopt_recommender.prices import PriceBook
from kubeopt_recommender.runner import (
    ModelCache,
    RunDefaults,
    RunExecutor,
    RunScheduler,
    Verifier,
)
from kubeopt_recommender.service.runs import RunContext
from kubeopt_recommender.service.verification import VerificationPolicy
from kubeopt_recommender.settings import RecommenderSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = "recommender"
USAGE_DURABLE = "recommender"
INVENTORY_DURABLE = "recommender-inventory"


def _run_defaults(settings: RecommenderSettings) -> RunDefaults:
    """Validates the carbon files too: a bad one fails here, before anything starts."""
    context = RunContext(
        policy=settings.rightsizing.policy(
            profile=None, min_history_hours=settings.analysis.min_history_hours
        ),
        catalog=load_catalog(settings.carbon.hourly_profiles_file),
        model=None,
        min_shift_reduction=settings.carbon.min_shift_reduction_pct / 100,
        min_region_reduction=settings.carbon.min_region_reduction_pct / 100,
        rejected_cooldown=timedelta(days=settings.runs.rejected_cooldown_days),
    )
    return RunDefaults(context=context, chunk_size=settings.runs.chunk_size)


def _verification(settings: RecommenderSettings) -> VerificationPolicy:
    v = settings.verification
    return VerificationPolicy(
        window=timedelta(hours=v.window_hours),
        match_tolerance=v.match_tolerance_pct / 100,
        max_throttled_pct=v.max_throttled_pct,
        min_realized_fraction=v.min_realized_fraction,
    )


def _consume(bus: Bus, db: Database, settings: RecommenderSettings) -> None:
    bus.consume(
        Subject.USAGE_SAMPLED,
        UsageSampled,
        UsageHandler(db, params=settings.profiles.params()),
        ConsumerPolicy(durable=USAGE_DURABLE),
    )
    bus.consume(
        Subject.INVENTORY_SNAPSHOTTED,
        InventorySnapshotted,
        InventoryHandler(db, bus),
        ConsumerPolicy(durable=INVENTORY_DURABLE, batch_size=16),
    )


def _pricing(bus: Bus, settings: RecommenderSettings) -> PriceBook:
    async def ask_costing(request: NodePriceRequest) -> NodePriceReply:
        return await ask(
            bus.broker.connection,
            QuerySubject.NODE_PRICES,
            request,
            NodePriceReply,
            timeout_s=settings.pricing.timeout_s,
        )

    return PriceBook(ask_costing, ttl_s=settings.pricing.cache_ttl_s)


def _loops(
    settings: RecommenderSettings, db: Database, executor: RunExecutor, verifier: Verifier
) -> list[Loop]:
    pruner = InboxPruner(
        db,
        retention=timedelta(hours=settings.inbox_retention_hours),
        interval_s=settings.inbox_prune_interval_s,
    )
    loops: list[Loop] = [pruner.run, verifier.run]
    if settings.runs.interval_s > 0:
        scheduler = RunScheduler(
            db, executor, interval_s=settings.runs.interval_s, policy=settings.rightsizing.profile
        )
        loops.append(scheduler.run)
    return loops


def build(settings: RecommenderSettings) -> ServiceRuntime:
    """Wire the recommender; nothing connects until the runtime is started.

    Raises :class:`~kubeopt_recommender.errors.AnalyzerLoadError` for a broken analyzer plugin
    and :class:`~kubeopt_common.yamlfile.YamlFileError` for a bad carbon profile file.
    """
    analyzers = installed_analyzers(settings.analysis)
    defaults = _run_defaults(settings)
    registry = CollectorRegistry()
    bus = Bus(settings.nats, service=SERVICE, registry=registry)
    db = Database(settings.database, service=SERVICE, migrations=MIGRATIONS)
    _consume(bus, db, settings)

    async def publish(events: Sequence[Event]) -> object:
        return await bus.publisher.publish_many(events)

    prices = _pricing(bus, settings)
    models = ModelCache(db)
    executor = RunExecutor(db, prices, models, defaults, publish)
    verification = _verification(settings)
    verifier = Verifier(
        db, prices, publish, policy=verification, interval_s=settings.verification.interval_s
    )
    routers = [
        observations_router(db, analyzers=analyzers, analysis=settings.analysis),
        recommendations_router(LifecycleDeps(db, publish, verification.window)),
        runs_router(db, executor, default_policy=settings.rightsizing.profile),
        models_router(db, models),
    ]
    api = create_api(
        title="KubeOpt AI recommender",
        description="Rightsizing, spot and carbon-aware recommendations from `usage.sampled` and "
        "`inventory.snapshotted`, their lifecycle and verified savings, and learned confidence.",
        version=version("kubeopt-recommender"),
        token=settings.api.token.get_secret_value(),
        routers=routers,
        readiness=[ReadinessCheck("nats", bus.ping), ReadinessCheck("database", db.ping)],
        registry=registry,
    )
    return ServiceRuntime(
        name=SERVICE,
        api_settings=settings.api,
        bus=bus,
        api=api,
        start_hooks=[db.start],
        stop_hooks=[db.stop, executor.stop],
        loops=_loops(settings, db, executor, verifier),
    )
