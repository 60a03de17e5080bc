"""Assets: what each node cost over a window, how much of it sat idle, and how it was priced;
how long each cluster ran (for its control-plane management fee)."""

from __future__ import annotations

from dataclasses import dataclass

from kubeopt_common.clickhouse import ClickHouse
from kubeopt_costing.analytics.allocation import choose_source
from kubeopt_costing.domain.allocation import IDLE
from kubeopt_costing.domain.windows import Window


@dataclass(frozen=True, slots=True)
class NodeAsset:
    cluster: str
    node: str
    instance_type: str
    capacity_type: str
    zone: str
    price_source: str
    seconds: int
    cost_nano_usd: int
    cpu_cost_nano_usd: int
    memory_cost_nano_usd: int
    gpu_cost_nano_usd: int
    idle_cost_nano_usd: int


def query_node_assets(
    ch: ClickHouse, window: Window, *, clusters: tuple[str, ...]
) -> list[NodeAsset]:
    """Per node: its cost (containers + idle; CPU/RAM/GPU only — PV is not the node's) and idle.

    Running time is the idle row's window seconds: every node has one idle row per window.
    """
    source = choose_source(window, None)
    t = source.time_column
    seconds = "toUInt64(window_seconds)" if source.raw else "seconds"
    params: dict[str, object] = {"start": window.start, "end": window.end}
    where = f"{t} >= {{start:DateTime('UTC')}} AND {t} < {{end:DateTime('UTC')}}"
    if clusters:
        where += " AND cluster IN {clusters:Array(String)}"
        params["clusters"] = list(clusters)
    node_cost = "cpu_cost_nano_usd + memory_cost_nano_usd + gpu_cost_nano_usd"
    sql = (
        "SELECT cluster, node, anyLast(instance_type) AS instance_type, "
        "anyLast(capacity_type) AS capacity_type, anyLast(zone) AS zone, "
        "anyLast(price_source) AS price_source, "
        f"sumIf({seconds}, namespace = '{IDLE}') AS seconds, "
        f"sum({node_cost}) AS cost, sum(cpu_cost_nano_usd) AS cpu, "
        "sum(memory_cost_nano_usd) AS memory, sum(gpu_cost_nano_usd) AS gpu, "
        f"sumIf({node_cost}, namespace = '{IDLE}') AS idle "
        f"FROM {source.from_clause(ch.database, params)} WHERE {where} "
        "GROUP BY cluster, node ORDER BY cost DESC"
    )
    return [
        NodeAsset(
            r["cluster"],
            r["node"],
            r["instance_type"],
            r["capacity_type"],
            r["zone"],
            r["price_source"],
            int(r["seconds"]),
            int(r["cost"]),
            int(r["cpu"]),
            int(r["memory"]),
            int(r["gpu"]),
            int(r["idle"]),
        )
        for r in ch.query(sql, params)
    ]


@dataclass(frozen=True, slots=True)
class ClusterRuntime:
    cluster: str
    provider: str
    seconds: int


def query_cluster_runtime(
    ch: ClickHouse, window: Window, *, clusters: tuple[str, ...]
) -> list[ClusterRuntime]:
    """Seconds each cluster ran in ``window``: per time bucket, its longest-running node.

    Every node has one idle row per usage window, so a bucket's idle rows say how long each node
    ran in it; the cluster ran as long as its longest-running node.
    """
    source = choose_source(window, None)
    t = source.time_column
    seconds = "toUInt64(window_seconds)" if source.raw else "seconds"
    params: dict[str, object] = {"start": window.start, "end": window.end}
    where = f"{t} >= {{start:DateTime('UTC')}} AND {t} < {{end:DateTime('UTC')}}"
    if clusters:
        where += " AND cluster IN {clusters:Array(String)}"
        params["clusters"] = list(clusters)
    sql = (
        "SELECT cluster, anyLast(provider) AS provider, sum(bucket_seconds) AS seconds FROM ("
        f"SELECT cluster, {t}, anyLast(provider) AS provider, max(node_seconds) AS bucket_seconds "
        f"FROM (SELECT cluster, {t}, node, anyLast(provider) AS provider, "
        f"sum({seconds}) AS node_seconds FROM {source.from_clause(ch.database, params)} "
        f"WHERE {where} AND namespace = '{IDLE}' GROUP BY cluster, {t}, node) "
        f"GROUP BY cluster, {t}) GROUP BY cluster ORDER BY cluster"
    )
    return [
        ClusterRuntime(r["cluster"], r["provider"], int(r["seconds"]))
        for r in ch.query(sql, params)
    ]
