"""Bus handlers and periodic jobs of the recommender. Thin: they own the units of work."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from kubeopt_common.bus import Delivery
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import UsageSampled
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_recommender import service

log = get_logger(__name__)


class UsageHandler:
    """Consumes ``usage.sampled``: one transaction per fetched batch, acked after commit."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, deliveries: Sequence[Delivery[UsageSampled]]) -> None:
        async with unit_of_work(self._db.sessions) as session:
            recorded = await service.record_usage(
                session, [d.event for d in deliveries], now=datetime.now(UTC)
            )
        log.debug(
            "recommender.usage_recorded",
            events=recorded.events,
            skipped_events=recorded.skipped_events,
            containers=recorded.containers,
        )


class InboxPruner:
    """Deletes inbox entries past their retention, every ``interval_s`` seconds, forever."""

    def __init__(self, db: Database, *, retention: timedelta, interval_s: float) -> None:
        self._db = db
        self._retention = retention
        self._interval_s = interval_s

    async def prune_once(self) -> int:
        before = datetime.now(UTC) - self._retention
        async with unit_of_work(self._db.sessions) as session:
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
