"""Composition root of the notifier service: ``build(settings) -> ServiceRuntime``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

from prometheus_client import CollectorRegistry

from kubeopt_common.bus import Bus, ConsumerPolicy
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import (
    AnomalyDetected,
    BudgetThresholdCrossed,
    Event,
    RecommendationCreated,
    Subject,
)
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_common.web import ReadinessCheck, create_api
from kubeopt_notifier import domain, service
from kubeopt_notifier.api import build_router
from kubeopt_notifier.channels.base import ChannelType
from kubeopt_notifier.channels.registry import build_channel, installed_channel_types
from kubeopt_notifier.domain.routing import Route, resolve
from kubeopt_notifier.handlers import DispatchConfig, Dispatcher, NotifyHandler
from kubeopt_notifier.settings import NotifierSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = "notifier"
BUDGET_DURABLE = "notifier-budget"
ANOMALY_DURABLE = "notifier-anomaly"
RECOMMENDATION_DURABLE = "notifier-recommendation"

E = TypeVar("E", bound=Event)


def _policy(durable: str) -> ConsumerPolicy:
    # A pull waits up to fetch_timeout_s to fill its batch once a first message arrived
    # (nats-py): alerts are few, so a short window keeps them from waiting on a batch.
    return ConsumerPolicy(durable=durable, batch_size=32, fetch_timeout_s=0.05)


def build(
    settings: NotifierSettings, *, channel_types: Mapping[str, ChannelType] | None = None
) -> ServiceRuntime:
    """Wire the notifier; nothing connects until the runtime is started.

    ``channel_types`` defaults to the installed ``kubeopt.channels`` plugins. Raises
    :class:`~kubeopt_notifier.errors.ChannelConfigError` for a bad channel in settings.
    """
    types = dict(channel_types) if channel_types is not None else installed_channel_types()
    for config in settings.channels:  # fail at start-up, naming the channel, not at first send
        build_channel(types, name=config.name, type_=config.type, params=config.params)
    root = resolve(settings.route)
    registry = CollectorRegistry()
    bus = Bus(settings.nats, service=SERVICE, registry=registry)
    db = Database(settings.database, service=SERVICE, migrations=MIGRATIONS)
    dispatcher = Dispatcher(
        db=db,
        bus=bus,
        types=types,
        config=DispatchConfig(
            policy=settings.retry.policy(),
            send_timeout_s=settings.send_timeout_s,
            tick_s=settings.tick_s,
        ),
    )
    _consume_events(bus, db, root, on_ingested=dispatcher.wake.set)

    async def seed_channels() -> None:
        async with unit_of_work(db.sessions) as session:
            await service.seed_settings_channels(session, settings.channels, now=datetime.now(UTC))

    api = create_api(
        title="KubeOpt AI notifier",
        description=(
            "Routes budget crossings, anomalies and new recommendations (as digests) to channels "
            "— Slack, Standard-Webhooks-signed webhooks, logs, more by plugin — with an "
            "Alertmanager-style routing tree, silences, dedupe, durable retries and a delivery log."
        ),
        version=version("kubeopt-notifier"),
        token=settings.api.token.get_secret_value(),
        routers=[
            build_router(
                db,
                types=types,
                route=settings.route,
                on_channels_changed=dispatcher.channels_changed,
                send_timeout_s=settings.send_timeout_s,
            )
        ],
        readiness=[ReadinessCheck("nats", bus.ping), ReadinessCheck("database", db.ping)],
        registry=registry,
    )
    return ServiceRuntime(
        name=SERVICE,
        api_settings=settings.api,
        bus=bus,
        api=api,
        start_hooks=[db.start, seed_channels],
        stop_hooks=[db.stop],
        loops=[dispatcher.run],
    )


def _consume_events(
    bus: Bus, db: Database, root: Route, *, on_ingested: Callable[[], None]
) -> None:
    """One durable consumer per notified subject, all feeding the routing tree."""

    def handler(to_notification: Callable[[E], domain.Notification]) -> NotifyHandler[E]:
        return NotifyHandler(
            db=db, root=root, to_notification=to_notification, on_ingested=on_ingested
        )

    bus.consume(
        Subject.BUDGET_THRESHOLD_CROSSED,
        BudgetThresholdCrossed,
        handler(domain.notification_from_budget),
        _policy(BUDGET_DURABLE),
    )
    bus.consume(
        Subject.ANOMALY_DETECTED,
        AnomalyDetected,
        handler(domain.notification_from_anomaly),
        _policy(ANOMALY_DURABLE),
    )
    bus.consume(
        Subject.RECOMMENDATION_CREATED,
        RecommendationCreated,
        handler(domain.notification_from_recommendation),
        _policy(RECOMMENDATION_DURABLE),
    )
