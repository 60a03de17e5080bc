"""The ClickHouse tables costing owns. One DDL for chDB and a ClickHouse server.

* ``cost_allocation``: one row per container per usage window, plus one ``__idle__`` row per node
  and window, so ``Σ CPU/RAM/GPU cost of a node's rows == node cost`` holds by construction. PV
  and load balancer cost ride on container rows (they are not part of the node). Carbon (µg
  CO2e) and energy (µWh) are attributed the same way. Raw rows expire after ``raw_retention_days``.
* ``cost_allocation_hourly`` / ``cost_allocation_daily``: rollups fed by materialized views at
  insert time (hourly from raw, daily chained from hourly). Queries always ``sum`` with
  ``GROUP BY`` — never rely on background merges for correctness.
* ``network_flows`` (+ ``network_flows_hourly``): every priced flow, attributed to the sender.
  ``network_cost_hourly`` sums them per owning pod (sender; receiver of inbound traffic) for
  the allocation query.
* ``anomalies``: the anomaly timeline (one row per anomaly id, latest evaluation wins).
* ``inventory_nodes`` / ``inventory_workloads``: latest inventory per object.

Idempotence: inserts carry a dedup token and costing skips batches whose ingest ids are already
stored, so a redelivered message never double-counts (the rollups see an insert once).

Schema changes are versioned: :data:`MIGRATIONS` are applied in order and recorded in
``schema_version``; a released migration is never edited, a new one is appended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

COST_COLUMNS: Final = """
    window_start DateTime('UTC') CODEC(Delta, ZSTD),
    window_seconds UInt32,
    cluster LowCardinality(String),
    provider LowCardinality(String),
    region LowCardinality(String),
    zone LowCardinality(String),
    node LowCardinality(String),
    instance_type LowCardinality(String),
    capacity_type LowCardinality(String),
    price_source LowCardinality(String),
    namespace LowCardinality(String),
    workload_kind LowCardinality(String),
    workload String,
    pod String,
    container LowCardinality(String),
    labels Map(String, String),
    cpu_request_millicores UInt32,
    memory_request_bytes UInt64,
    gpu_request UInt16,
    cpu_usage_millicores UInt32,
    memory_usage_bytes UInt64,
    cpu_allocated_millicores UInt32,
    memory_allocated_bytes UInt64,
    pv_bytes UInt64,
    cpu_cost_nano_usd Int64,
    memory_cost_nano_usd Int64,
    gpu_cost_nano_usd Int64,
    pv_cost_nano_usd Int64,
    lb_cost_nano_usd Int64,
    total_cost_nano_usd Int64,
    energy_uwh Int64,
    co2e_ug Int64,
    co2e_marginal_ug Int64,
    ingest_id UInt64
"""

# Measures of the rollups: name -> expression over cost_allocation (unit-seconds sums).
RESOURCE_SUMS: Final = {
    "seconds": "window_seconds",
    "cpu_request_millicore_seconds": "cpu_request_millicores * window_seconds",
    "memory_request_byte_seconds": "memory_request_bytes * window_seconds",
    "gpu_request_seconds": "gpu_request * window_seconds",
    "cpu_usage_millicore_seconds": "cpu_usage_millicores * window_seconds",
    "memory_usage_byte_seconds": "memory_usage_bytes * window_seconds",
    "cpu_allocated_millicore_seconds": "cpu_allocated_millicores * window_seconds",
    "memory_allocated_byte_seconds": "memory_allocated_bytes * window_seconds",
    "pv_byte_seconds": "pv_bytes * window_seconds",
}
# Backwards-compatible name used by the query builder.
HOURLY_SUMS: Final = RESOURCE_SUMS
COST_SUMS: Final = (
    "cpu_cost_nano_usd",
    "memory_cost_nano_usd",
    "gpu_cost_nano_usd",
    "pv_cost_nano_usd",
    "lb_cost_nano_usd",
    "total_cost_nano_usd",
    "energy_uwh",
    "co2e_ug",
    "co2e_marginal_ug",
)
ROLLUP_KEY: Final = (
    "cluster",
    "namespace",
    "workload_kind",
    "workload",
    "pod",
    "container",
    "node",
)
HOURLY_KEY: Final = ROLLUP_KEY
ROLLUP_LAST: Final = {
    "provider": "LowCardinality(String)",
    "region": "LowCardinality(String)",
    "zone": "LowCardinality(String)",
    "instance_type": "LowCardinality(String)",
    "capacity_type": "LowCardinality(String)",
    "price_source": "LowCardinality(String)",
    "labels": "Map(String, String)",
}
HOURLY_LAST: Final = ROLLUP_LAST

FLOW_COLUMNS: Final = """
    window_start DateTime('UTC') CODEC(Delta, ZSTD),
    window_seconds UInt32,
    cluster LowCardinality(String),
    provider LowCardinality(String),
    region LowCardinality(String),
    flow_class LowCardinality(String),
    src_namespace LowCardinality(String),
    src_workload_kind LowCardinality(String),
    src_workload String,
    src_pod String,
    src_node LowCardinality(String),
    src_zone LowCardinality(String),
    src_region LowCardinality(String),
    dst_external UInt8,
    dst_namespace LowCardinality(String),
    dst_workload String,
    dst_pod String,
    dst_node LowCardinality(String),
    dst_zone LowCardinality(String),
    dst_region LowCardinality(String),
    dst_ip String,
    via_nat_gateway UInt8,
    ingress UInt8,
    bytes UInt64,
    transfer_nano_usd Int64,
    receiver_side_nano_usd Int64,
    nat_nano_usd Int64,
    total_nano_usd Int64,
    co2e_ug Int64,
    price_source LowCardinality(String),
    ingest_id UInt64
"""
FLOW_KEY: Final = (
    "cluster",
    "flow_class",
    "src_namespace",
    "src_workload_kind",
    "src_workload",
    "dst_external",
    "dst_namespace",
    "dst_workload",
    "dst_region",
)
# The workload a flow's cost belongs to: the sender, or the receiver of traffic from outside.
# Expressions over network_flows; traffic of no pod (a node's own) is left unallocated.
NETWORK_OWNER: Final = {
    "namespace": "if(ingress = 1, dst_namespace, src_namespace)",
    "workload_kind": "if(ingress = 1, '', src_workload_kind)",
    "workload": "if(ingress = 1, dst_workload, src_workload)",
    "pod": "if(ingress = 1, dst_pod, src_pod)",
    "node": "if(ingress = 1, dst_node, src_node)",
    "zone": "if(ingress = 1, dst_zone, src_zone)",
}
NETWORK_ALLOCATION_SUMS: Final = {
    "network_cost_nano_usd": "total_nano_usd",
    "network_bytes": "bytes",
}
FLOW_SUMS: Final = (
    "bytes",
    "transfer_nano_usd",
    "receiver_side_nano_usd",
    "nat_nano_usd",
    "total_nano_usd",
    "co2e_ug",
)


@dataclass(frozen=True)
class Retention:
    raw_days: int
    rollup_days: int


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: Callable[[str, Retention], list[str]]


def _rollup_columns(time_column: str) -> str:
    return ",\n    ".join(
        [
            f"{time_column} DateTime('UTC')",
            "cluster LowCardinality(String)",
            "namespace LowCardinality(String)",
            "workload_kind LowCardinality(String)",
            "workload String",
            "pod String",
            "container LowCardinality(String)",
            "node LowCardinality(String)",
            *(f"{n} SimpleAggregateFunction(anyLast, {t})" for n, t in ROLLUP_LAST.items()),
            *(f"{n} SimpleAggregateFunction(sum, UInt64)" for n in RESOURCE_SUMS),
            *(f"{n} SimpleAggregateFunction(sum, Int64)" for n in COST_SUMS),
        ]
    )


def rollup_select(time_expr: str, *, from_raw: bool) -> str:
    return ",\n    ".join(
        [
            time_expr,
            *ROLLUP_KEY,
            *(f"anyLast({n}) AS {n}" for n in ROLLUP_LAST),
            *(
                f"sum(toUInt64({e})) AS {n}" if from_raw else f"sum({n}) AS {n}"
                for n, e in RESOURCE_SUMS.items()
            ),
            *(f"sum({n}) AS {n}" for n in COST_SUMS),
        ]
    )


def _rollup(db: str, table: str, time_column: str, partition: str, ttl_days: int) -> str:
    return f"""CREATE TABLE IF NOT EXISTS {db}.{table} (
    {_rollup_columns(time_column)}
)
ENGINE = AggregatingMergeTree
PARTITION BY {partition}
ORDER BY (cluster, {time_column}, {", ".join(ROLLUP_KEY[1:])})
TTL {time_column} + INTERVAL {ttl_days} DAY DELETE"""


def network_flows_hourly_select(db: str, where: str = "") -> str:
    """What ``network_flows_hourly`` holds: flow sums per hour and key (``where`` narrows)."""
    flow_key = ", ".join(FLOW_KEY)
    return f"""SELECT toStartOfHour(window_start) AS hour, {flow_key},
    {", ".join(f"sum(toInt64({n})) AS {n}" for n in FLOW_SUMS)}
FROM {db}.network_flows{f" WHERE {where}" if where else ""}
GROUP BY hour, {flow_key}"""


def network_cost_hourly_select(db: str, where: str = "") -> str:
    """What ``network_cost_hourly`` holds: flow cost per hour and owning pod."""
    return f"""SELECT toStartOfHour(window_start) AS hour, cluster,
    {", ".join(f"{e} AS {n}" for n, e in NETWORK_OWNER.items())},
    {", ".join(f"sum(toInt64({e})) AS {n}" for n, e in NETWORK_ALLOCATION_SUMS.items())}
FROM {db}.network_flows{f" WHERE {where}" if where else ""}
GROUP BY hour, cluster, {", ".join(NETWORK_OWNER)}"""


def _v1(db: str, keep: Retention) -> list[str]:
    key = ", ".join(ROLLUP_KEY)
    return [
        f"""CREATE TABLE IF NOT EXISTS {db}.cost_allocation ({COST_COLUMNS})
ENGINE = MergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (cluster, window_start, namespace, workload, pod, container)
TTL window_start + INTERVAL {keep.raw_days} DAY DELETE
SETTINGS non_replicated_deduplication_window = 10000""",
        _rollup(db, "cost_allocation_hourly", "hour", "toYYYYMM(hour)", keep.rollup_days),
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.cost_allocation_hourly_mv
TO {db}.cost_allocation_hourly AS
SELECT
    {rollup_select("toStartOfHour(window_start) AS hour", from_raw=True)}
FROM {db}.cost_allocation
GROUP BY hour, {key}""",
        _rollup(db, "cost_allocation_daily", "day", "toYear(day)", keep.rollup_days),
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.cost_allocation_daily_mv
TO {db}.cost_allocation_daily AS
SELECT
    {rollup_select("toStartOfDay(hour) AS day", from_raw=False)}
FROM {db}.cost_allocation_hourly
GROUP BY day, {key}""",
        f"""CREATE TABLE IF NOT EXISTS {db}.network_flows ({FLOW_COLUMNS})
ENGINE = MergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (cluster, window_start, src_namespace, src_workload)
TTL window_start + INTERVAL {keep.raw_days} DAY DELETE
SETTINGS non_replicated_deduplication_window = 10000""",
        f"""CREATE TABLE IF NOT EXISTS {db}.network_flows_hourly (
    hour DateTime('UTC'),
    cluster LowCardinality(String), flow_class LowCardinality(String),
    src_namespace LowCardinality(String), src_workload_kind LowCardinality(String),
    src_workload String, dst_external UInt8, dst_namespace LowCardinality(String),
    dst_workload String, dst_region LowCardinality(String),
    {", ".join(f"{n} SimpleAggregateFunction(sum, Int64)" for n in FLOW_SUMS)}
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (cluster, hour, {", ".join(FLOW_KEY[1:])})
TTL hour + INTERVAL {keep.rollup_days} DAY DELETE""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.network_flows_hourly_mv
TO {db}.network_flows_hourly AS
{network_flows_hourly_select(db)}""",
        f"""CREATE TABLE IF NOT EXISTS {db}.network_cost_hourly (
    hour DateTime('UTC'),
    cluster LowCardinality(String),
    {
            ", ".join(
                f"{n} {'String' if n in ('workload', 'pod') else 'LowCardinality(String)'}"
                for n in NETWORK_OWNER
            )
        },
    {", ".join(f"{n} SimpleAggregateFunction(sum, Int64)" for n in NETWORK_ALLOCATION_SUMS)}
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (cluster, hour, {", ".join(NETWORK_OWNER)})
TTL hour + INTERVAL {keep.rollup_days} DAY DELETE""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.network_cost_hourly_mv
TO {db}.network_cost_hourly AS
{network_cost_hourly_select(db)}""",
        f"""CREATE TABLE IF NOT EXISTS {db}.anomalies (
    anomaly_id String,
    cluster LowCardinality(String),
    namespace LowCardinality(String),
    workload String,
    hour DateTime('UTC'),
    expected_nano_usd Int64,
    actual_nano_usd Int64,
    score Float64,
    direction LowCardinality(String),
    severity LowCardinality(String),
    baseline LowCardinality(String),
    detected_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(detected_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (cluster, hour, namespace, workload, anomaly_id)""",
        f"""CREATE TABLE IF NOT EXISTS {db}.inventory_nodes (
    cluster LowCardinality(String),
    node String,
    taken_at DateTime('UTC'),
    instance_type LowCardinality(String),
    zone LowCardinality(String),
    capacity_type LowCardinality(String),
    architecture LowCardinality(String),
    node_pool LowCardinality(String),
    cpu_capacity_millicores UInt32,
    memory_capacity_bytes UInt64,
    gpu_count UInt16,
    labels Map(String, String)
)
ENGINE = ReplacingMergeTree(taken_at)
ORDER BY (cluster, node)""",
        f"""CREATE TABLE IF NOT EXISTS {db}.inventory_workloads (
    cluster LowCardinality(String),
    namespace LowCardinality(String),
    kind LowCardinality(String),
    name String,
    taken_at DateTime('UTC'),
    replicas UInt32,
    node_pool LowCardinality(String),
    labels Map(String, String)
)
ENGINE = ReplacingMergeTree(taken_at)
ORDER BY (cluster, namespace, kind, name)""",
    ]


MIGRATIONS: Final = (Migration(1, "cost, rollups, flows, anomalies, inventory", _v1),)


def version_table(db: str) -> str:
    return f"""CREATE TABLE IF NOT EXISTS {db}.schema_version (
    version UInt32,
    description String,
    applied_at DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
ORDER BY version"""
