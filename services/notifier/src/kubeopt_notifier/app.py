"""Composition root of the notifier service: ``build(settings) -> ServiceRuntime``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

from prometheus_client import CollectorRegistry

from kubeopt_common.bus import Bus, ConsumerPolicy
from kubeopt_common.db.database import Database
from kubeopt_common.events import (
    AnomalyDetected,
    BudgetThresholdCrossed,
    Event,
    RecommendationCreated,
    Subject,
)
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_common.web import ReadinessCheck, create_api
from kubeopt_notifier import domain
from kubeopt_notifier.api import build_router
from kubeopt_notifier.channels.base import Channel, ChannelType
from kubeopt_notifier.channels.registry import build_channels, installed_channel_types
from kubeopt_notifier.handlers import NotifyHandler
from kubeopt_notifier.settings import NotifierSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = "notifier"
BUDGET_DURABLE = "notifier-budget"
ANOMALY_DURABLE = "notifier-anomaly"
RECOMMENDATION_DURABLE = "notifier-recommendation"

E = TypeVar("E", bound=Event)


def build(
    settings: NotifierSettings, *, channel_types: Mapping[str, ChannelType] | None = None
) -> ServiceRuntime:
    """Wire the notifier; nothing connects until the runtime is started.

    ``channel_types`` defaults to the installed ``kubeopt.channels`` plugins. Raises
    :class:`~kubeopt_notifier.errors.ChannelConfigError` for a bad channel configuration.
    """
    types = dict(channel_types) if channel_types is not None else installed_channel_types()
    configured = build_channels(settings.channels, types)
    active = [c.channel for c in configured if c.enabled]
    registry = CollectorRegistry()
    bus = Bus(settings.nats, service=SERVICE, registry=registry)
    db = Database(settings.database, service=SERVICE, migrations=MIGRATIONS)

    _consume_events(bus, db, active, send_timeout_s=settings.send_timeout_s)
    api = create_api(
        title="KubeOpt AI notifier",
        description="Routes budget, anomaly and recommendation events to channels.",
        version=version("kubeopt-notifier"),
        token=settings.api.token.get_secret_value(),
        routers=[build_router(db, channels=configured, installed_types=list(types))],
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


def _consume_events(
    bus: Bus, db: Database, channels: Sequence[Channel], *, send_timeout_s: float
) -> None:
    """One durable consumer per notified subject, all delivering to ``channels``."""

    def handler(to_notification: Callable[[E], domain.Notification]) -> NotifyHandler[E]:
        return NotifyHandler(
            db=db,
            channels=channels,
            to_notification=to_notification,
            send_timeout_s=send_timeout_s,
        )

    bus.consume(
        Subject.BUDGET_THRESHOLD_CROSSED,
        BudgetThresholdCrossed,
        handler(domain.notification_from_budget),
        ConsumerPolicy(durable=BUDGET_DURABLE),
    )
    bus.consume(
        Subject.ANOMALY_DETECTED,
        AnomalyDetected,
        handler(domain.notification_from_anomaly),
        ConsumerPolicy(durable=ANOMALY_DURABLE),
    )
    bus.consume(
        Subject.RECOMMENDATION_CREATED,
        RecommendationCreated,
        handler(domain.notification_from_recommendation),
        ConsumerPolicy(durable=RECOMMENDATION_DURABLE),
    )
