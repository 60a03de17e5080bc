"""Bus handlers of the budgets service: decode, call the service, commit, then publish. Thin."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from kubeopt_budgets import service
from kubeopt_budgets.errors import InvalidSpendError
from kubeopt_common.bus import Bus, Delivery, PermanentError
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import BudgetThresholdCrossed, InventorySnapshotted, SpendUpdated
from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)


class CrossingRelay:
    """Publishes committed crossings that were never acknowledged: on start, then periodically.

    A crossing is committed before its event is published; a crash (or a NATS outage) between
    the two leaves the row unpublished. The relay republishes it under its deterministic event
    id, so a copy that did reach JetStream is dropped by the stream's duplicate window.
    ``grace`` keeps it from racing the handler that is publishing a fresh crossing right now.
    """

    def __init__(
        self, db: Database, bus: Bus, *, interval_s: float, grace: timedelta = timedelta(seconds=2)
    ) -> None:
        self._db = db
        self._bus = bus
        self._interval_s = interval_s
        self._grace = grace
        self.wake = asyncio.Event()

    async def publish(self, events: Sequence[BudgetThresholdCrossed]) -> None:
        """Publish after commit, then mark published; a failure is left to the relay."""
        if not events:
            return
        try:
            await self._bus.publisher.publish_many(events)
            async with unit_of_work(self._db.sessions) as session:
                await service.mark_published(
                    session, [e.event_id for e in events], now=datetime.now(UTC)
                )
        except Exception as err:
            log.warning("budgets.publish_deferred", crossings=len(events), error=repr(err))
            self.wake.set()
            return
        log.info("budgets.crossings_published", crossings=len(events))

    async def relay_once(self) -> int:
        """Publish every committed-but-unpublished crossing; returns how many."""
        now = datetime.now(UTC)
        async with unit_of_work(self._db.sessions) as session:
            events = await service.unpublished(session, crossed_before=now - self._grace)
            if events:
                await self._bus.publisher.publish_many(events)
                await service.mark_published(session, [e.event_id for e in events], now=now)
        if events:
            log.info("budgets.crossings_relayed", crossings=len(events))
        return len(events)

    async def run(self) -> None:
        """The runtime loop: relay now (the restart case), then every ``interval_s``."""
        while True:
            try:
                await self.relay_once()
            except Exception as err:
                log.warning("budgets.relay_failed", error=repr(err))
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self._interval_s)
                # A deferred publish: give the bus a moment before trying again.
                await asyncio.sleep(min(self._interval_s, self._grace.total_seconds()))
            except TimeoutError:
                pass
            self.wake.clear()


class SpendHandler:
    """Consumes ``spend.updated``: ledger and evaluation in one transaction per batch, acked
    after commit; the crossings it created are published after the commit."""

    def __init__(self, db: Database, relay: CrossingRelay) -> None:
        self._db = db
        self._relay = relay

    async def __call__(self, deliveries: Sequence[Delivery[SpendUpdated]]) -> None:
        now = datetime.now(UTC)
        try:
            async with unit_of_work(self._db.sessions) as session:
                totals = await service.record_spend(session, [d.event for d in deliveries], now=now)
                crossings = await service.evaluate_spend(session, totals, now=now)
        except InvalidSpendError as err:
            # The bus retries a failed batch message by message, so only the bad event ends
            # up in the dead-letter subject.
            raise PermanentError(str(err)) from err
        await self._relay.publish(crossings)
        log.debug("budgets.spend_recorded", events=len(deliveries), windows=len(totals))


class InventoryHandler:
    """Consumes ``inventory.snapshotted`` for the namespaces' labels (label selectors)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, deliveries: Sequence[Delivery[InventorySnapshotted]]) -> None:
        async with unit_of_work(self._db.sessions) as session:
            written = await service.record_namespaces(session, [d.event for d in deliveries])
        log.debug("budgets.namespaces_recorded", namespaces=written)
