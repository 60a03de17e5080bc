"""Bus handlers of costing: decode → service (in a worker thread) → publish after the write."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from kubeopt_common.bus import Bus, Delivery
from kubeopt_common.events import FlowsObserved, InventorySnapshotted, UsageSampled
from kubeopt_common.queries import NodePriceReply, NodePriceRequest
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_costing.anomaly_watch import AnomalyWatch
from kubeopt_costing.network import NetworkService
from kubeopt_costing.service import CostingService

log = get_logger(__name__)


class CostingHandlers:
    """Several usage batches may be in their handler at once (``ingest.in_flight``), and flows
    arrive beside them. Pricing and writing run concurrently; reading a namespace's totals and
    publishing them happen one handler at a time, so a total read later includes every write
    acknowledged before it and the last total published for an hour is never a stale one."""

    def __init__(
        self,
        service: CostingService,
        network: NetworkService,
        bus: Bus,
        anomalies: AnomalyWatch | None = None,
    ) -> None:
        self._service = service
        self._network = network
        self._bus = bus
        self._anomalies = anomalies
        self._totals = asyncio.Lock()
        self._watching = asyncio.Lock()

    async def on_usage(self, deliveries: Sequence[Delivery[UsageSampled]]) -> None:
        batches = [d.event for d in deliveries]
        again = {d.event.event_id for d in deliveries if d.num_delivered > 1}
        result = await asyncio.to_thread(self._service.store, batches, redelivered=again)
        # Published only after the ClickHouse insert returned; a crash before this point makes
        # the batch come back, be skipped as stored, and its totals be published again.
        spend = await self._publish_totals(batches)
        if self._anomalies is not None:
            await self._watch(batches)
        log.debug(
            "costing.ingested",
            stored=result.stored_batches,
            skipped=result.skipped_batches,
            rows=result.rows,
            spend_events=spend,
        )

    async def _publish_totals(self, batches: Sequence[UsageSampled | FlowsObserved]) -> int:
        async with self._totals:
            spend = await asyncio.to_thread(self._service.spend_events, batches)
            await self._bus.publisher.publish_many(spend)
        return len(spend)

    async def _watch(self, batches: list[UsageSampled]) -> None:
        """Anomaly detection must never fail the ingest it follows: the costs are stored."""
        assert self._anomalies is not None  # noqa: S101 - checked by the caller
        try:
            async with self._watching:  # the watch tracks each cluster's latest window
                found = await asyncio.to_thread(self._anomalies.observe, batches)
        except Exception:
            log.exception("costing.anomaly_watch_failed", batches=len(batches))
            return
        await self._bus.publisher.publish_many(found)

    async def on_flows(self, deliveries: Sequence[Delivery[FlowsObserved]]) -> None:
        batches = [d.event for d in deliveries]
        again = {d.event.event_id for d in deliveries if d.num_delivered > 1}
        rows = await asyncio.to_thread(self._network.ingest, batches, redelivered=again)
        # Network cost is part of a namespace's spend: republish the touched hours' totals.
        spend = await self._publish_totals(batches)
        log.debug("costing.flows_ingested", rows=rows, spend_events=spend)

    async def on_price_query(self, request: NodePriceRequest) -> NodePriceReply:
        return self._service.quote(request)

    async def on_inventory(self, deliveries: Sequence[Delivery[InventorySnapshotted]]) -> None:
        await asyncio.to_thread(self._service.record_inventory, [d.event for d in deliveries])
