"""ClickHouse reads and writes of costing (the only module that speaks SQL to ClickHouse)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from kubeopt_common.clickhouse import ClickHouse
from kubeopt_common.events import InventorySnapshotted
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_common.telemetry.tracing import tracer
from kubeopt_costing.analytics.rollup_repair import rebuild_rollups
from kubeopt_costing.domain.allocation import IDLE, CostRows
from kubeopt_costing.schema import COST_SUMS, HOURLY_SUMS, MIGRATIONS, Retention, version_table

MEASURES = (*HOURLY_SUMS, *COST_SUMS)
_tracer = tracer("kubeopt.costing")
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class NamespaceHourTotal:
    cluster: str
    namespace: str
    hour: datetime
    total_cost_nano_usd: int
    cpu_cost_nano_usd: int
    memory_cost_nano_usd: int
    gpu_cost_nano_usd: int


@dataclass(frozen=True, slots=True)
class AllocationFilter:
    clusters: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    include_idle: bool = True


@dataclass(frozen=True, slots=True)
class AllocationRow:
    """Sums over a group; resource amounts are unit-seconds, costs nano-USD."""

    key: tuple[str, ...]
    measures: dict[str, int]
    price_sources: tuple[str, ...]


class CostStore:
    def __init__(
        self, ch: ClickHouse, *, raw_retention_days: int, rollup_retention_days: int
    ) -> None:
        self._ch = ch
        self._db = ch.database
        self._raw_days = raw_retention_days
        self._rollup_days = rollup_retention_days
        # Cost inserts and rollup rebuilds of this store never overlap (see rollup_repair).
        self._writing = threading.Lock()

    def migrate(self) -> None:
        """Apply the schema migrations this database has not seen yet (idempotent)."""
        self._ch.command(version_table(self._db))
        applied = {
            int(r["version"])
            for r in self._ch.query(f"SELECT DISTINCT version FROM {self._db}.schema_version")
        }
        keep = Retention(self._raw_days, self._rollup_days)
        for migration in MIGRATIONS:
            if migration.version in applied:
                continue
            for statement in migration.statements(self._db, keep):
                self._ch.command(statement)
            self._ch.insert_columns(
                "schema_version",
                {
                    "version": [migration.version],
                    "description": [migration.description],
                },
            )
            log.info("clickhouse.migrated", version=migration.version)

    def ingested(self, keys: Iterable[tuple[str, datetime, int]]) -> set[int]:
        """Which of the (cluster, window_start, ingest_id) batches are already stored."""
        keys = list(keys)
        if not keys:
            return set()
        rows = self._ch.query(
            f"SELECT DISTINCT ingest_id FROM {self._db}.cost_allocation "
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

    def insert_costs(self, rows: CostRows, *, dedup_token: str) -> None:
        # The span continues the trace the collector started: the consumer's "process" span is
        # its parent (asyncio.to_thread carries the context into the worker thread).
        with (
            _tracer.start_as_current_span(
                "clickhouse.insert cost_allocation",
                attributes={
                    "db.system": "clickhouse",
                    "db.operation": "INSERT",
                    "db.rows": len(rows),
                },
            ),
            self._writing,
        ):
            self._ch.insert_columns("cost_allocation", rows.columns(), dedup_token=dedup_token)

    def rebuild_rollups(self, cluster_hours: Iterable[tuple[str, datetime]]) -> None:
        """Recompute the hourly and daily rollups of these hours from the raw rows."""
        with self._writing:
            rebuild_rollups(self._ch, cluster_hours)

    def namespace_hour_totals(
        self, cluster_hours: Iterable[tuple[str, datetime]]
    ) -> list[NamespaceHourTotal]:
        """Attributed (non-idle) cost per namespace for each (cluster, hour) given, network
        included (traffic of no namespace — a node's own — is no namespace's spend)."""
        pairs = set(cluster_hours)
        if not pairs:
            return []
        where = (
            "WHERE cluster IN {clusters:Array(String)} AND hour IN {hours:Array(DateTime('UTC'))}"
        )
        # Compute, PV and LB cost of the namespace's pods, plus the network cost they own.
        rows = self._ch.query(
            "SELECT cluster, namespace, hour, sum(total) AS total, sum(cpu) AS cpu, "
            "sum(memory) AS memory, sum(gpu) AS gpu FROM ("
            "SELECT cluster, namespace, hour, total_cost_nano_usd AS total, "
            "cpu_cost_nano_usd AS cpu, memory_cost_nano_usd AS memory, gpu_cost_nano_usd AS gpu "
            f"FROM {self._db}.cost_allocation_hourly {where} AND namespace != '{IDLE}' "
            "UNION ALL SELECT cluster, namespace, hour, network_cost_nano_usd AS total, "
            "toInt64(0) AS cpu, toInt64(0) AS memory, toInt64(0) AS gpu "
            f"FROM {self._db}.network_cost_hourly {where} AND namespace != ''"
            ") GROUP BY cluster, namespace, hour",
            {"clusters": sorted({p[0] for p in pairs}), "hours": sorted({p[1] for p in pairs})},
        )
        return [
            NamespaceHourTotal(
                r["cluster"],
                r["namespace"],
                r["hour"],
                int(r["total"]),
                int(r["cpu"]),
                int(r["memory"]),
                int(r["gpu"]),
            )
            for r in rows
            if (r["cluster"], r["hour"]) in pairs
        ]

    def record_inventory(self, snapshot: InventorySnapshotted) -> None:
        taken = int(snapshot.taken_at.timestamp())
        nodes = snapshot.nodes
        self._ch.insert_columns(
            "inventory_nodes",
            {
                "cluster": [snapshot.cluster] * len(nodes),
                "node": [n.name for n in nodes],
                "taken_at": [taken] * len(nodes),
                "instance_type": [n.instance_type for n in nodes],
                "zone": [n.zone for n in nodes],
                "capacity_type": [n.capacity_type.value for n in nodes],
                "architecture": [n.architecture for n in nodes],
                "node_pool": [n.node_pool for n in nodes],
                "cpu_capacity_millicores": [n.cpu_capacity_millicores for n in nodes],
                "memory_capacity_bytes": [n.memory_capacity_bytes for n in nodes],
                "gpu_count": [n.gpu_count for n in nodes],
                "labels": [dict(n.labels) for n in nodes],
            },
            dedup_token=f"inv-nodes/{snapshot.event_id}",
        )
        workloads = snapshot.workloads
        self._ch.insert_columns(
            "inventory_workloads",
            {
                "cluster": [snapshot.cluster] * len(workloads),
                "namespace": [w.namespace for w in workloads],
                "kind": [w.kind.value for w in workloads],
                "name": [w.name for w in workloads],
                "taken_at": [taken] * len(workloads),
                "replicas": [w.replicas for w in workloads],
                "node_pool": [w.node_pool for w in workloads],
                "labels": [dict(w.labels) for w in workloads],
            },
            dedup_token=f"inv-workloads/{snapshot.event_id}",
        )

    @property
    def clickhouse(self) -> ClickHouse:
        return self._ch

    def ping(self) -> bool:
        return self._ch.ping()


def utc_hour(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
