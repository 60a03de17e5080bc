"""Priced network flows in ClickHouse: writes, month-to-date volume, and the /v1/network query."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from kubeopt_common.clickhouse import ClickHouse
from kubeopt_common.events import FlowsObserved
from kubeopt_costing.analytics.allocation import choose_source
from kubeopt_costing.analytics.rollup_repair import rebuild_network_rollups
from kubeopt_costing.domain.network import FlowClass, PricedFlow
from kubeopt_costing.domain.windows import Window
from kubeopt_costing.schema import FLOW_SUMS

NETWORK_GROUPS: Final = {
    "class": ("flow_class",),
    "source": ("src_namespace", "src_workload"),
    "pair": ("src_namespace", "src_workload", "dst_namespace", "dst_workload", "dst_region"),
    "namespace": ("src_namespace",),
    "cluster": ("cluster",),
}


def flow_ingest_id(event: FlowsObserved) -> int:
    """Top 63 bits of the event id (integer column; see allocation.ingest_id)."""
    return event.event_id.int >> 65


@dataclass
class FlowRows:
    """Column-oriented ``network_flows`` rows."""

    columns: dict[str, list[object]] = field(default_factory=dict)

    def add(
        self, event: FlowsObserved, priced: Sequence[PricedFlow], co2e_ug: Sequence[int]
    ) -> None:
        start = int(event.window_start.timestamp())
        ingest = flow_ingest_id(event)
        for flow, price, carbon in zip(event.flows, priced, co2e_ug, strict=True):
            src, dst = flow.src, flow.dst
            row: dict[str, object] = {
                "window_start": start,
                "window_seconds": event.window_seconds,
                "cluster": event.cluster,
                "provider": event.provider.value,
                "region": event.region,
                "flow_class": price.flow_class.value,
                "src_namespace": src.namespace,
                "src_workload_kind": src.workload_kind.value if src.workload_kind else "",
                "src_workload": src.workload,
                "src_pod": src.pod,
                "src_node": src.node,
                "src_zone": src.zone,
                "src_region": src.region,
                "dst_external": int(dst.external),
                "dst_namespace": dst.namespace,
                "dst_workload": dst.workload,
                "dst_pod": dst.pod,
                "dst_node": dst.node,
                "dst_zone": dst.zone,
                "dst_region": dst.region,
                "dst_ip": dst.ip,
                "via_nat_gateway": int(flow.via_nat_gateway),
                "ingress": int(price.ingress),
                "bytes": flow.bytes_sent,
                "transfer_nano_usd": price.transfer_nano_usd,
                "receiver_side_nano_usd": price.receiver_side_nano_usd,
                "nat_nano_usd": price.nat_nano_usd,
                "total_nano_usd": price.total_nano_usd,
                "co2e_ug": carbon,
                "price_source": price.price_source.value,
                "ingest_id": ingest,
            }
            for name, value in row.items():
                self.columns.setdefault(name, []).append(value)

    def __len__(self) -> int:
        return len(self.columns.get("bytes", []))


@dataclass(frozen=True, slots=True)
class NetworkRow:
    key: tuple[str, ...]
    bytes: int
    cost_nano_usd: int
    transfer_nano_usd: int
    receiver_side_nano_usd: int
    nat_nano_usd: int
    co2e_ug: int


class NetworkStore:
    def __init__(self, ch: ClickHouse) -> None:
        self._ch = ch
        self._db = ch.database
        self._writing = threading.Lock()  # inserts and rollup rebuilds never overlap

    def ingested(self, keys: Iterable[tuple[str, datetime, int]]) -> set[int]:
        keys = list(keys)
        if not keys:
            return set()
        rows = self._ch.query(
            f"SELECT DISTINCT ingest_id FROM {self._db}.network_flows "
            "WHERE cluster IN {clusters:Array(String)} "
            "AND window_start IN {starts:Array(DateTime('UTC'))} "
            "AND ingest_id IN {ids:Array(UInt64)}",
            {
                "clusters": sorted({k[0] for k in keys}),
                "starts": sorted({k[1] for k in keys}),
                "ids": [k[2] for k in keys],
            },
        )
        return {int(r["ingest_id"]) for r in rows}

    def internet_bytes_before(self, cluster: str, month_start: datetime, before: datetime) -> int:
        """Internet egress already priced for ``cluster`` this month, before ``before``."""
        rows = self._ch.query(
            f"SELECT sum(bytes) AS total FROM {self._db}.network_flows "
            "WHERE cluster = {cluster:String} AND flow_class = {internet:String} AND ingress = 0 "
            "AND window_start >= {month:DateTime('UTC')} "
            "AND window_start < {before:DateTime('UTC')}",
            {
                "cluster": cluster,
                "internet": FlowClass.INTERNET.value,
                "month": month_start,
                "before": before,
            },
        )
        return int(rows[0]["total"] or 0) if rows else 0

    def insert(self, rows: FlowRows, *, dedup_token: str) -> None:
        with self._writing:
            self._ch.insert_columns("network_flows", rows.columns, dedup_token=dedup_token)

    def rebuild_rollups(self, cluster_hours: Iterable[tuple[str, datetime]]) -> None:
        """Recompute the hourly network rollups of these hours from the raw flows."""
        with self._writing:
            rebuild_network_rollups(self._ch, cluster_hours)

    def query(self, window: Window, group: str, *, clusters: tuple[str, ...]) -> list[NetworkRow]:
        hourly = choose_source(window, None).resolution != "window"
        table, t = ("network_flows_hourly", "hour") if hourly else ("network_flows", "window_start")
        keys = NETWORK_GROUPS[group]
        params: dict[str, object] = {"start": window.start, "end": window.end}
        where = f"{t} >= {{start:DateTime('UTC')}} AND {t} < {{end:DateTime('UTC')}}"
        if clusters:
            where += " AND cluster IN {clusters:Array(String)}"
            params["clusters"] = list(clusters)
        sums = ", ".join(f"sum({m}) AS {m}" for m in FLOW_SUMS)
        sql = (
            f"SELECT {', '.join(f'toString({k}) AS k{i}' for i, k in enumerate(keys))}, {sums} "
            f"FROM {self._db}.{table} WHERE {where} "
            f"GROUP BY {', '.join(f'k{i}' for i in range(len(keys)))} ORDER BY total_nano_usd DESC"
        )
        return [
            NetworkRow(
                tuple(str(r[f"k{i}"]) for i in range(len(keys))),
                int(r["bytes"]),
                int(r["total_nano_usd"]),
                int(r["transfer_nano_usd"]),
                int(r["receiver_side_nano_usd"]),
                int(r["nat_nano_usd"]),
                int(r["co2e_ug"]),
            )
            for r in self._ch.query(sql, params)
        ]


def network_co2e_ug(ch: ClickHouse, window: Window, *, clusters: tuple[str, ...]) -> int:
    """CO2e of the network traffic in ``window`` (inter-region only carries energy)."""
    params: dict[str, object] = {"start": window.start, "end": window.end}
    where = "window_start >= {start:DateTime('UTC')} AND window_start < {end:DateTime('UTC')}"
    if clusters:
        where += " AND cluster IN {clusters:Array(String)}"
        params["clusters"] = list(clusters)
    rows = ch.query(
        f"SELECT sum(co2e_ug) AS total FROM {ch.database}.network_flows WHERE {where}", params
    )
    return int(rows[0]["total"] or 0) if rows else 0
