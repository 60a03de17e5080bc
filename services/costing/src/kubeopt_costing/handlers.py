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

    async def on_usage(self, deliveries: Sequence[Delivery[UsageSampled]]) -> None:
        result = await asyncio.to_thread(self._service.ingest, [d.event for d in deliveries])
        # Published only after the ClickHouse insert returned; a crash before this point makes
        # the batch come back, be skipped as stored, and its totals be published again.
        await self._bus.publisher.publish_many(result.spend_events)
        if self._anomalies is not None:
            await self._watch([d.event for d in deliveries])
        log.debug(
            "costing.ingested",
            stored=result.stored_batches,
            skipped=result.skipped_batches,
            rows=result.rows,
            spend_events=len(result.spend_events),
        )

    async def _watch(self, batches: list[UsageSampled]) -> None:
        """Anomaly detection must never fail the ingest it follows: the costs are stored."""
        assert self._anomalies is not None  # noqa: S101 - checked by the caller
        try:
            found = await asyncio.to_thread(self._anomalies.observe, batches)
        except Exception:
            log.exception("costing.anomaly_watch_failed", batches=len(batches))
            return
        await self._bus.publisher.publish_many(found)

    async def on_flows(self, deliveries: Sequence[Delivery[FlowsObserved]]) -> None:
        batches = [d.event for d in deliveries]
        rows = await asyncio.to_thread(self._network.ingest, batches)
        # Network cost is part of a namespace's spend: republish the touched hours' totals.
        spend = await asyncio.to_thread(self._service.spend_events, batches)
        await self._bus.publisher.publish_many(spend)
        log.debug("costing.flows_ingested", rows=rows, spend_events=len(spend))

    async def on_price_query(self, request: NodePriceRequest) -> NodePriceReply:
        return self._service.quote(request)

    async def on_inventory(self, deliveries: Sequence[Delivery[InventorySnapshotted]]) -> None:
        await asyncio.to_thread(self._service.record_inventory, [d.event for d in deliveries])
