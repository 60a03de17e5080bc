"""Rebuild the rollups of some hours from the raw rows: hourly and daily cost, hourly network.

The rollups are filled by materialized views as part of each insert, but a process killed in
the middle of an insert can leave the raw rows committed and a rollup's part not. The batch then
comes back (it was never acked), is found stored and skipped — and the rollups would stay short
forever. So the hours of every batch that comes back already stored are rebuilt: their hourly
rows are recomputed from the raw rows, then their days' daily rows from the hourly ones.

Rebuilding must not run beside an insert into the same hours (the insert's own rollup rows would
be counted twice); the caller serialises the two (see :class:`CostStore`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from kubeopt_common.clickhouse import ClickHouse
from kubeopt_costing.schema import (
    ROLLUP_KEY,
    network_cost_hourly_select,
    network_flows_hourly_select,
    rollup_select,
)

_SYNC = "SETTINGS mutations_sync = 2"


def _among(times: str, t: str) -> str:
    """``(cluster, t)`` is one of the pairs in the ``{times}_clusters``/``{times}`` params."""
    return (
        f"has(arrayZip({{{times}_clusters:Array(String)}}, {{{times}:Array(DateTime('UTC'))}}), "
        f"(cluster, {t}))"
    )


def rebuild_rollups(ch: ClickHouse, cluster_hours: Iterable[tuple[str, datetime]]) -> None:
    """Recompute ``cost_allocation_hourly`` for these (cluster, hour)s from the raw rows, and
    ``cost_allocation_daily`` for their (cluster, day)s from the hourly rows."""
    hours = sorted(set(cluster_hours))
    if not hours:
        return
    db, key = ch.database, ", ".join(ROLLUP_KEY)
    days = sorted({(c, h.replace(hour=0, minute=0, second=0, microsecond=0)) for c, h in hours})
    params = {
        "hours_clusters": [c for c, _ in hours],
        "hours": [h for _, h in hours],
        "days_clusters": [c for c, _ in days],
        "days": [d for _, d in days],
    }
    ch.command(
        f"ALTER TABLE {db}.cost_allocation_hourly DELETE WHERE {_among('hours', 'hour')} {_SYNC}",
        params,
    )
    # Inserting into the hourly table feeds the daily view too; those days are redone next.
    ch.command(
        f"INSERT INTO {db}.cost_allocation_hourly "
        f"SELECT {rollup_select('toStartOfHour(window_start) AS hour', from_raw=True)} "
        f"FROM {db}.cost_allocation "
        f"WHERE {_among('hours', 'toStartOfHour(window_start)')} GROUP BY hour, {key}",
        params,
    )
    ch.command(
        f"ALTER TABLE {db}.cost_allocation_daily DELETE WHERE {_among('days', 'day')} {_SYNC}",
        params,
    )
    ch.command(
        f"INSERT INTO {db}.cost_allocation_daily "
        f"SELECT {rollup_select('toStartOfDay(hour) AS day', from_raw=False)} "
        f"FROM {db}.cost_allocation_hourly "
        f"WHERE {_among('days', 'toStartOfDay(hour)')} GROUP BY day, {key}",
        params,
    )


def rebuild_network_rollups(ch: ClickHouse, cluster_hours: Iterable[tuple[str, datetime]]) -> None:
    """Recompute ``network_flows_hourly`` and ``network_cost_hourly`` for these (cluster,
    hour)s from ``network_flows``."""
    hours = sorted(set(cluster_hours))
    if not hours:
        return
    db = ch.database
    params = {"hours_clusters": [c for c, _ in hours], "hours": [h for _, h in hours]}
    raw_hours = _among("hours", "toStartOfHour(window_start)")
    for table, select in (
        ("network_flows_hourly", network_flows_hourly_select),
        ("network_cost_hourly", network_cost_hourly_select),
    ):
        ch.command(
            f"ALTER TABLE {db}.{table} DELETE WHERE {_among('hours', 'hour')} {_SYNC}", params
        )
        ch.command(f"INSERT INTO {db}.{table} {select(db, raw_hours)}", params)
