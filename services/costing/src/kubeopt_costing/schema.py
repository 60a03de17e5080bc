"""The ClickHouse tables costing owns. One DDL for chDB and a ClickHouse server.

* ``cost_allocation``: one row per container per usage window, plus one ``__idle__`` row per node
  and window, so ``Σ rows of a node == node cost`` holds by construction. Raw rows expire after
  ``raw_retention_days``.
* ``cost_allocation_hourly``: hourly rollup fed by a materialized view at insert time (kept
  ``rollup_retention_days``). Queries always aggregate with ``sum`` and ``GROUP BY`` — never rely
  on background merges for correctness.
* ``inventory_nodes`` / ``inventory_workloads``: latest inventory per object (ReplacingMergeTree).

Idempotence: each insert carries a dedup token and costing skips batches whose ingest ids are
already stored, so a redelivered ``usage.sampled`` never double-counts (the rollup sees an insert
once because the raw insert happens once).
"""

from __future__ import annotations

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
    cpu_cost_nano_usd Int64,
    memory_cost_nano_usd Int64,
    gpu_cost_nano_usd Int64,
    total_cost_nano_usd Int64,
    ingest_id UInt64
"""

# Measures of the hourly rollup: name -> expression over cost_allocation.
HOURLY_SUMS: Final = {
    "seconds": "window_seconds",
    "cpu_request_millicore_seconds": "cpu_request_millicores * window_seconds",
    "memory_request_byte_seconds": "memory_request_bytes * window_seconds",
    "gpu_request_seconds": "gpu_request * window_seconds",
    "cpu_usage_millicore_seconds": "cpu_usage_millicores * window_seconds",
    "memory_usage_byte_seconds": "memory_usage_bytes * window_seconds",
    "cpu_allocated_millicore_seconds": "cpu_allocated_millicores * window_seconds",
    "memory_allocated_byte_seconds": "memory_allocated_bytes * window_seconds",
}
COST_SUMS: Final = (
    "cpu_cost_nano_usd",
    "memory_cost_nano_usd",
    "gpu_cost_nano_usd",
    "total_cost_nano_usd",
)
HOURLY_KEY: Final = (
    "cluster",
    "namespace",
    "workload_kind",
    "workload",
    "pod",
    "container",
    "node",
)
HOURLY_LAST: Final = {
    "provider": "LowCardinality(String)",
    "region": "LowCardinality(String)",
    "zone": "LowCardinality(String)",
    "instance_type": "LowCardinality(String)",
    "capacity_type": "LowCardinality(String)",
    "price_source": "LowCardinality(String)",
    "labels": "Map(String, String)",
}


def ddl(database: str, *, raw_retention_days: int, rollup_retention_days: int) -> list[str]:
    """Statements creating every table and view (idempotent)."""
    hourly_cols = ",\n    ".join(
        [
            "hour DateTime('UTC')",
            "cluster LowCardinality(String)",
            "namespace LowCardinality(String)",
            "workload_kind LowCardinality(String)",
            "workload String",
            "pod String",
            "container LowCardinality(String)",
            "node LowCardinality(String)",
            *(f"{n} SimpleAggregateFunction(anyLast, {t})" for n, t in HOURLY_LAST.items()),
            *(f"{n} SimpleAggregateFunction(sum, UInt64)" for n in HOURLY_SUMS),
            *(f"{n} SimpleAggregateFunction(sum, Int64)" for n in COST_SUMS),
        ]
    )
    mv_select = ",\n    ".join(
        [
            "toStartOfHour(window_start) AS hour",
            *HOURLY_KEY,
            *(f"anyLast({n}) AS {n}" for n in HOURLY_LAST),
            *(f"sum(toUInt64({e})) AS {n}" for n, e in HOURLY_SUMS.items()),
            *(f"sum({n}) AS {n}" for n in COST_SUMS),
        ]
    )
    db = database
    return [
        f"""CREATE TABLE IF NOT EXISTS {db}.cost_allocation ({COST_COLUMNS})
ENGINE = MergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (cluster, window_start, namespace, workload, pod, container)
TTL window_start + INTERVAL {raw_retention_days} DAY DELETE
SETTINGS non_replicated_deduplication_window = 10000""",
        f"""CREATE TABLE IF NOT EXISTS {db}.cost_allocation_hourly (
    {hourly_cols}
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (cluster, hour, {", ".join(HOURLY_KEY[1:])})
TTL hour + INTERVAL {rollup_retention_days} DAY DELETE""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.cost_allocation_hourly_mv
TO {db}.cost_allocation_hourly AS
SELECT
    {mv_select}
FROM {db}.cost_allocation
GROUP BY hour, {", ".join(HOURLY_KEY)}""",
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
