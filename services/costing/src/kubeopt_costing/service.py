"""Costing use cases: ingest usage batches, record inventory, answer allocation queries.

Synchronous on purpose: ClickHouse (chDB) calls block, so handlers and routes run these in a
worker thread. Nothing here publishes; ingest returns the events for the caller to publish after
the write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from kubeopt_common.events import (
    FlowsObserved,
    InventorySnapshotted,
    Provider,
    SpendUpdated,
    UsageSampled,
    event_id_for,
)
from kubeopt_common.queries import NodePriceReply, NodePriceRequest
from kubeopt_costing.analytics import (
    AllocationFilter,
    AllocationQuery,
    AllocationRow,
    CostStore,
    query_allocation,
    utc_hour,
)
from kubeopt_costing.analytics.assets import NodeAsset, query_cluster_runtime, query_node_assets
from kubeopt_costing.analytics.network import network_co2e_ug
from kubeopt_costing.analytics.network_allocation import query_network_allocation
from kubeopt_costing.domain.aggregation import AggregateKey
from kubeopt_costing.domain.allocation import CostRows, ingest_id, price_batch
from kubeopt_costing.domain.carbon import CarbonCoefficients
from kubeopt_costing.domain.footprint import Footprints
from kubeopt_costing.domain.pricing import NodePricer, window_cost
from kubeopt_costing.domain.sharing import Group, merge, share_costs, share_idle
from kubeopt_costing.domain.windows import Window
from kubeopt_costing.quotes import quote

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AllocationResult:
    resolution: str
    groups: list[Group]
    series: dict[datetime | None, dict[tuple[str, ...], Group]]


def _finish(groups: list[Group], query: AllocationQuery) -> dict[tuple[str, ...], Group]:
    if query.share_idle:
        groups = share_idle(groups)
    if query.sharing:
        groups = share_costs(groups, split=query.share_split)
    kept = [g for g in groups if g.matches and (query.include_idle or not g.idle)]
    return merge(kept)


@dataclass(frozen=True, slots=True)
class ClusterFee:
    cluster: str
    provider: str
    seconds: int
    nano_usd_per_hour: int

    @property
    def fee_nano_usd(self) -> int:
        return window_cost(self.nano_usd_per_hour, self.seconds)


@dataclass(frozen=True, slots=True)
class IngestResult:
    stored_batches: int
    skipped_batches: int
    rows: int
    spend_events: tuple[SpendUpdated, ...]


def batch_token(event_ids: Sequence[str]) -> str:
    """Insert dedup token of a set of batches (independent of their order)."""
    digest = hashlib.sha256("\n".join(sorted(event_ids)).encode()).hexdigest()
    return f"usage/{digest[:40]}"


class CostingService:
    def __init__(
        self,
        store: CostStore,
        prices: NodePricer,
        *,
        producer: str,
        carbon: CarbonCoefficients | None = None,
    ) -> None:
        self._store = store
        self._prices = prices
        self._producer = producer
        self._footprints = Footprints(carbon) if carbon is not None else None

    def ingest(self, batches: Sequence[UsageSampled]) -> IngestResult:
        """:meth:`store` the batches, then read the spend totals of the hours they touched."""
        stored = self.store(batches)
        return replace(stored, spend_events=tuple(self.spend_events(batches)))

    def store(
        self, batches: Sequence[UsageSampled], *, redelivered: Collection[UUID] = ()
    ) -> IngestResult:
        """Price and store the batches not stored yet (no spend totals: see :meth:`ingest`).

        Batches already stored are skipped, but their windows' totals are still worth
        republishing: the publish may be what a crash interrupted. A ``redelivered`` batch found
        stored was in flight when its consumer died, maybe mid-insert: its hours' rollups are
        rebuilt from the raw rows.
        """
        keys = [(b.cluster, b.window_start, ingest_id(b)) for b in batches]
        done = self._store.ingested(keys)
        if done and redelivered:
            self._store.rebuild_rollups(
                (b.cluster, utc_hour(b.window_start))
                for b, (_, _, batch_id) in zip(batches, keys, strict=True)
                if batch_id in done and b.event_id in redelivered
            )
        fresh: dict[str, UsageSampled] = {}
        for batch, (_, _, batch_id) in zip(batches, keys, strict=True):
            if batch_id not in done:
                fresh.setdefault(str(batch.event_id), batch)
        rows = CostRows()
        for batch in fresh.values():
            price_batch(batch, self._prices, rows, self._footprints)
        if len(rows):
            self._store.insert_costs(rows, dedup_token=batch_token(list(fresh)))
        return IngestResult(len(fresh), len(batches) - len(fresh), len(rows), ())

    def spend_events(self, batches: Sequence[UsageSampled | FlowsObserved]) -> list[SpendUpdated]:
        """The namespace totals of the hours ``batches`` touched (after flows too: a namespace's
        spend includes the network cost it owns)."""
        touched = {(b.cluster, utc_hour(b.window_start)) for b in batches}
        return [
            SpendUpdated.create(
                # Same total for the same window ⇒ same id ⇒ deduplicated downstream.
                event_id=event_id_for(
                    "spend", t.cluster, t.namespace, t.hour, t.total_cost_nano_usd
                ),
                cluster=t.cluster,
                producer=self._producer,
                namespace=t.namespace,
                window_start=t.hour,
                window_end=t.hour + HOUR,
                cost_nano_usd=t.total_cost_nano_usd,
                cpu_cost_nano_usd=t.cpu_cost_nano_usd,
                memory_cost_nano_usd=t.memory_cost_nano_usd,
                gpu_cost_nano_usd=t.gpu_cost_nano_usd,
            )
            for t in self._store.namespace_hour_totals(touched)
        ]

    def record_inventory(self, snapshots: Sequence[InventorySnapshotted]) -> None:
        for snapshot in snapshots:
            self._store.record_inventory(snapshot)

    def quote(self, request: NodePriceRequest) -> NodePriceReply:
        """Node prices exactly as this costing prices them (its cost model and overrides)."""
        return quote(self._prices, request)

    def allocation(
        self, window: Window, keys: Sequence[AggregateKey], where: AllocationFilter
    ) -> list[AllocationRow]:
        """Whole-window totals per key (kept for callers that need no sharing or steps)."""
        result = self.allocate(
            AllocationQuery(
                window,
                tuple(keys),
                clusters=where.clusters,
                namespaces=where.namespaces,
                include_idle=where.include_idle,
            )
        )
        return [
            AllocationRow(g.key, g.measures, tuple(sorted(g.price_sources))) for g in result.groups
        ]

    def carbon(self, query: AllocationQuery) -> tuple[AllocationResult, int]:
        """Allocation with its energy/CO2e measures, plus the window's network CO2e (µg)."""
        return self.allocate(query), network_co2e_ug(
            self._store.clickhouse, query.window, clusters=query.clusters
        )

    def node_assets(self, window: Window, *, clusters: tuple[str, ...]) -> list[NodeAsset]:
        return query_node_assets(self._store.clickhouse, window, clusters=clusters)

    def cluster_fees(self, window: Window, *, clusters: tuple[str, ...]) -> list[ClusterFee]:
        """Each cluster's control-plane management fee for the time it ran in ``window``."""
        fees = []
        for run in query_cluster_runtime(self._store.clickhouse, window, clusters=clusters):
            hourly = self._prices.cluster_fee_nano_usd_per_hour(
                cluster=run.cluster, provider=Provider(run.provider)
            )
            fees.append(ClusterFee(run.cluster, run.provider, run.seconds, hourly))
        return fees

    def trends(self, query: AllocationQuery) -> tuple[AllocationResult, AllocationResult]:
        """``query`` and the same query over the window just before it (for change %)."""
        length = query.window.end - query.window.start
        previous = replace(
            query, window=Window(query.window.start - length, query.window.start), step_s=None
        )
        return self.allocate(query), self.allocate(previous)

    def allocate(self, query: AllocationQuery) -> AllocationResult:
        """Run ``query`` (compute, PV and LB rows, then network rows), share idle and shared
        costs per bucket, then filter and merge."""
        source, rows = query_allocation(self._store.clickhouse, query)
        rows += query_network_allocation(self._store.clickhouse, query, source)
        buckets: dict[datetime | None, list[Group]] = {}
        for row in rows:
            buckets.setdefault(row.bucket, []).append(
                Group(
                    row.key,
                    dict(row.measures),
                    row.node,
                    row.idle,
                    row.shared,
                    row.matches,
                    set(row.price_sources),
                )
            )
        series = {bucket: _finish(groups, query) for bucket, groups in buckets.items()}
        whole = merge(g for groups in series.values() for g in groups.values())
        ordered = sorted(whole.values(), key=lambda g: -g.measures.get("total_cost_nano_usd", 0))
        return AllocationResult(source.resolution, ordered, series if query.step_s else {})
