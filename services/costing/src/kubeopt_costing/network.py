"""Network use cases: price ``flows.observed`` batches into ClickHouse, report them.

Batches of one cluster are priced in window order: internet egress is tiered by the cluster's
volume in the calendar month, so each batch starts from the volume priced before its window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from uuid import UUID

from kubeopt_common.events import FlowsObserved
from kubeopt_costing.analytics.network import FlowRows, NetworkRow, NetworkStore, flow_ingest_id
from kubeopt_costing.domain.carbon import CarbonCoefficients, network_carbon_ug
from kubeopt_costing.domain.network import (
    FlowClass,
    IpNetwork,
    NetworkPrices,
    PricedFlow,
    price_flows,
)
from kubeopt_costing.domain.windows import Window

# (event, its priced flows) -> µg CO2e per flow; plugged in by the carbon model.
FlowCarbon = Callable[[FlowsObserved, Sequence[PricedFlow]], list[int]]


def _month_start(t: datetime) -> datetime:
    return datetime(t.year, t.month, 1, tzinfo=UTC)


def _no_carbon(event: FlowsObserved, priced: Sequence[PricedFlow]) -> list[int]:  # noqa: ARG001
    return [0] * len(event.flows)


def network_footprint(coefficients: CarbonCoefficients) -> FlowCarbon:
    """CCF: only inter-region traffic sent from inside the cluster costs energy (kWh/GB)."""

    def carbon(event: FlowsObserved, priced: Sequence[PricedFlow]) -> list[int]:
        return [
            network_carbon_ug(
                coefficients,
                provider=event.provider,
                region=flow.src.region or event.region,
                bytes_sent=flow.bytes_sent,
                at=event.window_start,
            )
            if price.flow_class is FlowClass.CROSS_REGION and not price.ingress
            else 0
            for flow, price in zip(event.flows, priced, strict=True)
        ]

    return carbon


class NetworkService:
    def __init__(
        self,
        store: NetworkStore,
        prices: NetworkPrices,
        *,
        private_cidrs: Sequence[IpNetwork],
        carbon: FlowCarbon = _no_carbon,
    ) -> None:
        self._store = store
        self._prices = prices
        self._private = tuple(private_cidrs)
        self._carbon = carbon

    def ingest(
        self, batches: Sequence[FlowsObserved], *, redelivered: Collection[UUID] = ()
    ) -> int:
        """Price and store the batches not stored yet; returns the number of flow rows.

        A ``redelivered`` batch found stored may have died mid-insert: its hours' rollups are
        rebuilt from the raw flows (see ``analytics.rollup_repair``).
        """
        keys = [(b.cluster, b.window_start, flow_ingest_id(b)) for b in batches]
        done = self._store.ingested(keys)
        if done and redelivered:
            self._store.rebuild_rollups(
                (b.cluster, b.window_start.replace(minute=0, second=0, microsecond=0))
                for b, (_, _, batch_id) in zip(batches, keys, strict=True)
                if batch_id in done and b.event_id in redelivered
            )
        fresh = {flow_ingest_id(b): b for b in batches if flow_ingest_id(b) not in done}
        rows = FlowRows()
        month_volume: dict[tuple[str, datetime], int] = {}
        for batch in sorted(fresh.values(), key=lambda b: (b.cluster, b.window_start)):
            month = (batch.cluster, _month_start(batch.window_start))
            if month not in month_volume:
                month_volume[month] = self._store.internet_bytes_before(
                    batch.cluster, month[1], batch.window_start
                )
            priced, month_volume[month] = price_flows(
                self._prices,
                provider=batch.provider,
                region=batch.region,
                flows=batch.flows,
                internet_bytes_month_to_date=month_volume[month],
                private_cidrs=self._private,
            )
            rows.add(batch, priced, self._carbon(batch, priced))
        if len(rows):
            token = hashlib.sha256(",".join(sorted(map(str, fresh))).encode()).hexdigest()[:40]
            self._store.insert(rows, dedup_token=f"flows/{token}")
        return len(rows)

    def report(self, window: Window, group: str, *, clusters: tuple[str, ...]) -> list[NetworkRow]:
        return self._store.query(window, group, clusters=clusters)
