"""Network cost as allocation rows: each pod's priced traffic, grouped like its compute cost.

A flow's cost belongs to the pod that sent it, or to the receiver of traffic from outside
(:data:`~kubeopt_costing.schema.NETWORK_OWNER`); traffic of no pod (a node's own) is
``__unallocated__``. The rows expose the same columns as the cost tables, so aggregation keys,
filters and shared-cost rules apply to them unchanged. Keys flows do not carry — container,
instance and capacity type, labels — are taken from the pod's cost rows in the same window (its
first container by name); they are only looked up when the query needs them.
"""

from __future__ import annotations

from typing import Final

from kubeopt_common.clickhouse import ClickHouse
from kubeopt_costing.analytics.allocation import (
    AllocationQuery,
    BucketRow,
    Source,
    conditions,
    group_columns,
)
from kubeopt_costing.domain.aggregation import UNALLOCATED
from kubeopt_costing.domain.allocation import IDLE
from kubeopt_costing.schema import NETWORK_ALLOCATION_SUMS, NETWORK_OWNER

NETWORK_MEASURES: Final = tuple(NETWORK_ALLOCATION_SUMS)
_POD_ATTRIBUTES: Final = {
    "container": "min(container)",
    "instance_type": "anyLast(instance_type)",
    "capacity_type": "anyLast(capacity_type)",
    "labels": "anyLast(labels)",
}
_WINDOW: Final = "{t} >= {{start:DateTime('UTC')}} AND {t} < {{end:DateTime('UTC')}}"


def _needs_pod_attributes(q: AllocationQuery) -> bool:
    keyed = any(k.label or k.column in _POD_ATTRIBUTES for k in q.keys)
    return keyed or bool(q.labels or q.shared_labels)


def _flows(db: str, source: Source) -> str:
    """Owned network sums per (time, cluster, owner) in the window, columns prefixed ``o_``."""
    t = source.time_column
    if source.raw:
        owner = ", ".join(f"{e} AS o_{n}" for n, e in NETWORK_OWNER.items())
        sums = ", ".join(f"toInt64({e}) AS {n}" for n, e in NETWORK_ALLOCATION_SUMS.items())
        return (
            f"SELECT window_start AS o_time, cluster AS o_cluster, {owner}, {sums} "
            f"FROM {db}.network_flows WHERE {_WINDOW.format(t='window_start')}"
        )
    time = "hour" if t == "hour" else "toStartOfDay(hour)"
    owner = ", ".join(f"{n} AS o_{n}" for n in NETWORK_OWNER)
    return (
        f"SELECT {time} AS o_time, cluster AS o_cluster, {owner}, "
        f"{', '.join(NETWORK_MEASURES)} FROM {db}.network_cost_hourly "
        f"WHERE {_WINDOW.format(t='hour')}"
    )


def _pod_attributes(db: str, source: Source, flows: str, params: dict[str, object]) -> str:
    t = source.time_column
    picked = ", ".join(f"{e} AS {n}" for n, e in _POD_ATTRIBUTES.items())
    return (
        f"SELECT cluster AS a_cluster, namespace AS a_namespace, pod AS a_pod, {picked} "
        f"FROM {source.from_clause(db, params)} "
        f"WHERE {_WINDOW.format(t=t)} AND namespace != '{IDLE}' "
        f"AND (cluster, namespace, pod) IN (SELECT o_cluster, o_namespace, o_pod FROM ({flows})) "
        "GROUP BY cluster, namespace, pod"
    )


def _owned_rows(db: str, q: AllocationQuery, source: Source, params: dict[str, object]) -> str:
    """The owned sums shaped like cost rows: the columns keys and filters read."""
    flows = _flows(db, source)
    columns = [
        f"o_time AS {source.time_column}",
        "o_cluster AS cluster",
        f"if(o_namespace = '', '{UNALLOCATED}', o_namespace) AS namespace",
        *(f"o_{n} AS {n}" for n in NETWORK_OWNER if n != "namespace"),
        *NETWORK_MEASURES,
    ]
    if not _needs_pod_attributes(q):
        columns += ["'' AS container", "'' AS instance_type", "'' AS capacity_type"]
        columns.append("CAST(map(), 'Map(String, String)') AS labels")
        return f"SELECT {', '.join(columns)} FROM ({flows})"
    columns += list(_POD_ATTRIBUTES)
    return (
        f"SELECT {', '.join(columns)} FROM ({flows}) AS f "
        f"LEFT JOIN ({_pod_attributes(db, source, flows, params)}) AS a "
        "ON f.o_cluster = a.a_cluster AND f.o_namespace = a.a_namespace AND f.o_pod = a.a_pod"
    )


def query_network_allocation(ch: ClickHouse, q: AllocationQuery, source: Source) -> list[BucketRow]:
    """Network cost groups of ``q`` from the same resolution as its cost rows."""
    params: dict[str, object] = {"start": q.window.start, "end": q.window.end}
    group = group_columns(q, source, params)
    aliases = [g.rsplit(" AS ", 1)[1] for g in group]
    sums = ", ".join(f"sum({m}) AS {m}" for m in NETWORK_MEASURES)
    sql = (
        f"SELECT {', '.join(group)}, {sums} "
        f"FROM ({_owned_rows(ch.database, q, source, params)}) "
        f"WHERE {' AND '.join(conditions(q, source, params))} "
        f"GROUP BY {', '.join(aliases)} HAVING network_cost_nano_usd != 0 OR network_bytes != 0"
    )
    return [
        BucketRow(
            bucket=r["bucket"] if q.step_s else None,
            key=tuple(str(r[f"k{i}"]) for i in range(len(q.keys))),
            node=str(r["g_node"]),
            idle=False,
            shared=bool(r["g_shared"]),
            matches=bool(r["g_match"]),
            measures={
                "network_cost_nano_usd": int(r["network_cost_nano_usd"]),
                "network_bytes": int(r["network_bytes"]),
                "total_cost_nano_usd": int(r["network_cost_nano_usd"]),
            },
            price_sources=(),
        )
        for r in ch.query(sql, params)
    ]
