"""The allocation query: sums over a window, grouped, from the finest table that is cheap enough.

Raw rows answer windows that are not hour-aligned; hour-aligned windows use the hourly rollup and
day-aligned windows longer than a week the daily one. ``step`` adds a time bucket to the grouping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from kubeopt_common.clickhouse import ClickHouse
from kubeopt_costing.domain.aggregation import UNALLOCATED, AggregateKey
from kubeopt_costing.domain.allocation import IDLE
from kubeopt_costing.domain.windows import Window
from kubeopt_costing.schema import COST_SUMS, RESOURCE_SUMS, ROLLUP_KEY, ROLLUP_LAST

MEASURES = (*RESOURCE_SUMS, *COST_SUMS)
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class AllocationQuery:
    window: Window
    keys: tuple[AggregateKey, ...]
    clusters: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    workloads: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    include_idle: bool = True
    share_idle: bool = False
    shared_namespaces: tuple[str, ...] = ()
    shared_labels: tuple[tuple[str, str], ...] = ()
    share_split: Literal["weighted", "even"] = "weighted"
    step_s: int | None = None

    @property
    def sharing(self) -> bool:
        return bool(self.shared_namespaces or self.shared_labels)


@dataclass(frozen=True, slots=True)
class BucketRow:
    """Sums of one (bucket, key[, node]) group; resource amounts in unit-seconds, money nano-USD."""

    bucket: datetime | None
    key: tuple[str, ...]
    node: str
    idle: bool
    shared: bool
    matches: bool
    measures: dict[str, int]
    price_sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """Where rows come from: one table, or hourly edges around a daily middle (``segments``)."""

    table: str
    time_column: str
    resolution: str
    segments: tuple[tuple[str, str, datetime, datetime], ...] = ()

    @property
    def raw(self) -> bool:
        return self.table == "cost_allocation"

    def from_clause(self, db: str, params: dict[str, object]) -> str:
        """``FROM`` text: the table, or a UNION ALL of rollup segments exposing ``hour``."""
        if not self.segments:
            return f"{db}.{self.table}"
        columns = ", ".join((*ROLLUP_KEY, *ROLLUP_LAST, *RESOURCE_SUMS, *COST_SUMS))
        parts = []
        for i, (table, column, start, end) in enumerate(self.segments):
            params[f"seg{i}_start"], params[f"seg{i}_end"] = start, end
            parts.append(
                f"SELECT {column} AS hour, {columns} FROM {db}.{table} "
                f"WHERE {column} >= {{seg{i}_start:DateTime('UTC')}} "
                f"AND {column} < {{seg{i}_end:DateTime('UTC')}}"
            )
        return "(" + " UNION ALL ".join(parts) + ")"


def _day_aligned(t: datetime) -> bool:
    return t == t.replace(hour=0, minute=0, second=0, microsecond=0)


def choose_source(window: Window, step_s: int | None) -> Source:
    """The coarsest table whose buckets align with the window and the step."""
    long = window.end - window.start > timedelta(days=7)
    if (
        long
        and _day_aligned(window.start)
        and _day_aligned(window.end)
        and (step_s is None or step_s % 86_400 == 0)
    ):
        return Source("cost_allocation_daily", "day", "1d")
    if window.hour_aligned and (step_s is None or step_s % 3_600 == 0):
        return Source("cost_allocation_hourly", "hour", "1h")
    return Source("cost_allocation", "window_start", "window")


def allocation_source(window: Window, step_s: int | None) -> Source:
    """:func:`choose_source`, and for a long hour-aligned window that does not start or end at
    midnight: its whole days from the daily rollup and the ragged hours at either end from the
    hourly one (``30d`` ends at the current hour; read hourly, that is 24× the rows)."""
    source = choose_source(window, step_s)
    if (
        source.table != "cost_allocation_hourly"
        or window.end - window.start <= timedelta(days=7)
        or (step_s is not None and step_s % 86_400 != 0)
    ):
        return source
    first_day = _midnight_at_or_after(window.start)
    last_day = window.end.replace(hour=0, minute=0, second=0, microsecond=0)
    segments = [
        ("cost_allocation_hourly", "hour", window.start, first_day),
        ("cost_allocation_daily", "day", first_day, last_day),
        ("cost_allocation_hourly", "hour", last_day, window.end),
    ]
    return Source(
        "cost_allocation_hourly",
        "hour",
        "1h",
        tuple(segment for segment in segments if segment[2] < segment[3]),
    )


def _midnight_at_or_after(t: datetime) -> datetime:
    midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == t else midnight + DAY


def _key_expr(key: AggregateKey, index: int, params: dict[str, object]) -> str:
    if key.column:
        return key.column
    params[f"label{index}"] = key.label
    value = f"labels[{{label{index}:String}}]"
    return f"if(namespace = '{IDLE}', '{IDLE}', if({value} = '', '{UNALLOCATED}', {value}))"


def _label_match(pairs: tuple[tuple[str, str], ...], name: str, params: dict[str, object]) -> str:
    terms = []
    for i, (label, value) in enumerate(pairs):
        params[f"{name}_k{i}"], params[f"{name}_v{i}"] = label, value
        terms.append(f"labels[{{{name}_k{i}:String}}] = {{{name}_v{i}:String}}")
    return " OR ".join(terms)


def conditions(q: AllocationQuery, source: Source, params: dict[str, object]) -> list[str]:
    """Where-clauses that define the pools: time, clusters and nodes (idle belongs to these)."""
    t = source.time_column
    conditions = [f"{t} >= {{start:DateTime('UTC')}}", f"{t} < {{end:DateTime('UTC')}}"]
    for column, values in (("cluster", q.clusters), ("node", q.nodes)):
        if values:
            conditions.append(f"{column} IN {{f_{column}:Array(String)}}")
            params[f"f_{column}"] = list(values)
    if not q.include_idle and not q.share_idle:
        conditions.append(f"namespace != '{IDLE}'")
    return conditions


def _match_expr(q: AllocationQuery, params: dict[str, object]) -> str:
    """Namespace/workload/label filters, evaluated AFTER sharing so shared idle and shared costs
    are split over everything and only then filtered (no inflation of the filtered groups)."""
    terms = []
    for column, values in (("namespace", q.namespaces), ("workload", q.workloads)):
        if values:
            terms.append(f"{column} IN {{m_{column}:Array(String)}}")
            params[f"m_{column}"] = list(values)
    if q.labels:
        terms.append(f"({_label_match(q.labels, 'lf', params)})")
    return " AND ".join(terms) if terms else "1"


def group_columns(q: AllocationQuery, source: Source, params: dict[str, object]) -> list[str]:
    columns = [f"{_key_expr(k, i, params)} AS k{i}" for i, k in enumerate(q.keys)]
    if q.step_s:
        params["step"] = q.step_s
        columns.append(
            f"toStartOfInterval({source.time_column}, toIntervalSecond({{step:UInt32}})) AS bucket"
        )
    columns.append(f"{'node' if q.share_idle else chr(39) + chr(39)} AS g_node")
    columns.append(f"namespace = '{IDLE}' AS g_idle")
    shared = []
    if q.shared_namespaces:
        params["shared_ns"] = list(q.shared_namespaces)
        shared.append("namespace IN {shared_ns:Array(String)}")
    if q.shared_labels:
        shared.append(_label_match(q.shared_labels, "ls", params))
    columns.append(f"({' OR '.join(shared) if shared else '0'}) AS g_shared")
    columns.append(f"({_match_expr(q, params)}) AS g_match")
    return columns


def query_allocation(
    ch: ClickHouse, q: AllocationQuery, source: Source | None = None
) -> tuple[Source, list[BucketRow]]:
    """Grouped sums of ``q`` from :func:`allocation_source`'s tables (or ``source``: the
    benchmark's baseline reads the hourly rollup alone)."""
    source = source or allocation_source(q.window, q.step_s)
    params: dict[str, object] = {"start": q.window.start, "end": q.window.end}
    group = group_columns(q, source, params)
    measures = [
        f"sum(toUInt64({RESOURCE_SUMS[m]})) AS {m}"
        if source.raw and m in RESOURCE_SUMS
        else f"sum({m}) AS {m}"
        for m in MEASURES
    ]
    aliases = [g.rsplit(" AS ", 1)[1] for g in group]
    sql = (
        f"SELECT {', '.join(group)}, {', '.join(measures)}, "
        f"groupUniqArray(price_source) AS price_sources "
        f"FROM {source.from_clause(ch.database, params)} "
        f"WHERE {' AND '.join(conditions(q, source, params))} "
        f"GROUP BY {', '.join(aliases)}"
    )
    rows = [
        BucketRow(
            bucket=r["bucket"] if q.step_s else None,
            key=tuple(str(r[f"k{i}"]) for i in range(len(q.keys))),
            node=str(r["g_node"]),
            idle=bool(r["g_idle"]),
            shared=bool(r["g_shared"]),
            matches=bool(r["g_match"]),
            measures={m: int(r[m]) for m in MEASURES},
            price_sources=tuple(sorted(r["price_sources"])),
        )
        for r in ch.query(sql, params)
    ]
    return source, rows


def bucket_windows(window: Window, step_s: int) -> list[Window]:
    """The step buckets covering ``window`` (aligned like toStartOfInterval: to the epoch)."""
    step = timedelta(seconds=step_s)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    start = epoch + ((window.start - epoch) // step) * step
    out = []
    while start < window.end:
        out.append(Window(max(start, window.start), min(start + step, window.end)))
        start += step
    return out
