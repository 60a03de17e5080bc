"""Bus handlers and periodic jobs of the recommender. Thin: they own the units of work."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from kubeopt_common.bus import Bus, Delivery
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import InventorySnapshotted, UsageSampled
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_recommender import service
from kubeopt_recommender.domain.usage_profile import ProfileParams
from kubeopt_recommender.repository.workloads import prune_parts
from kubeopt_recommender.service.inventory import record_inventory

log = get_logger(__name__)


class UsageHandler:
    """Consumes ``usage.sampled``: one transaction per fetched batch, acked after commit."""

    def __init__(self, db: Database, *, params: ProfileParams | None = None) -> None:
        self._db = db
        self._params = params or ProfileParams()

    async def __call__(self, deliveries: Sequence[Delivery[UsageSampled]]) -> None:
        async with unit_of_work(self._db.sessions) as session:
            recorded = await service.record_usage(
                session, [d.event for d in deliveries], now=datetime.now(UTC), params=self._params
            )
        log.debug(
            "recommender.usage_recorded",
            events=recorded.events,
            skipped_events=recorded.skipped_events,
            containers=recorded.containers,
        )


class InventoryHandler:
    """Consumes ``inventory.snapshotted``; publishes expiries after the commit."""

    def __init__(self, db: Database, bus: Bus) -> None:
        self._db = db
        self._bus = bus

    async def __call__(self, deliveries: Sequence[Delivery[InventorySnapshotted]]) -> None:
        async with unit_of_work(self._db.sessions) as session:
            events = await record_inventory(
                session, [d.event for d in deliveries], now=datetime.now(UTC)
            )
        if events:
            await self._bus.publisher.publish_many(events)
            log.info("recommender.recommendations_expired", count=len(events))


class InboxPruner:
    """Deletes inbox entries past their retention, every ``interval_s`` seconds, forever."""

    def __init__(self, db: Database, *, retention: timedelta, interval_s: float) -> None:
        self._db = db
        self._retention = retention
        self._interval_s = interval_s

    async def prune_once(self) -> int:
        """Forget old inbox entries and old snapshot-part records; returns inbox deletions."""
        before = datetime.now(UTC) - self._retention
        async with unit_of_work(self._db.sessions) as session:
            await prune_parts(session, before=before)
            return await service.prune_inbox(session, before=before)

    async def run(self) -> None:
        while True:
            try:
                deleted = await self.prune_once()
            except SQLAlchemyError as err:
                # A database hiccup must not stop the service; the next round retries.
                log.warning("recommender.inbox_prune_failed", error=repr(err))
            else:
                log.debug("recommender.inbox_pruned", deleted=deleted)
            await asyncio.sleep(self._interval_s)
