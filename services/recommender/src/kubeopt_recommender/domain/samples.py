"""Per-container sample series taken out of ``usage.sampled`` events (pure, columnar).

One :class:`SampleSeries` holds every sample of one container (all its replicas) in a batch of
events, as numpy columns, so the usage profile can fold a batch in a few vector operations. The
nodes the samples ran on are collected too: their facts are what costing prices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kubeopt_common.events import Node, Provider, UsageSampled
from kubeopt_recommender.domain.observations import ContainerKey

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SampleSeries:
    """Samples of one container; index ``i`` of every column is one (replica, window).

    ``start_s`` and ``window_s`` are the window start (epoch seconds) and length; CPU in
    millicores (window average and peak), memory in bytes (working set average and peak),
    ``throttled_ms`` in milliseconds, limits 0 when unset. ``node`` is the node of the latest
    sample.
    """

    key: ContainerKey
    start_s: IntArray
    window_s: IntArray
    cpu_usage: IntArray
    cpu_peak: IntArray
    memory_usage: IntArray
    memory_peak: IntArray
    throttled_ms: IntArray
    oom_kills: IntArray
    restarts: IntArray
    memory_request: IntArray
    memory_limit: IntArray
    node: str

    def __len__(self) -> int:
        return len(self.start_s)

    @property
    def mid_s(self) -> npt.NDArray[np.float64]:
        """Middle of each sample's window, epoch seconds."""
        return self.start_s + self.window_s / 2.0


@dataclass(frozen=True, slots=True)
class SeenNode:
    """A node as the latest usage event showed it, with where it runs."""

    cluster: str
    provider: Provider
    region: str
    node: Node
    seen_at_s: int


_COLUMNS = (
    "cpu_usage_millicores",
    "cpu_peak_millicores",
    "memory_usage_bytes",
    "memory_peak_bytes",
    "cpu_throttled_ms",
    "oom_kills",
    "restarts",
    "memory_request_bytes",
    "memory_limit_bytes",
)


@dataclass
class _Rows:
    start_s: list[int] = field(default_factory=list)
    window_s: list[int] = field(default_factory=list)
    values: list[tuple[int, ...]] = field(default_factory=list)
    node: str = ""
    latest_s: int = -1


def _series(key: ContainerKey, rows: _Rows) -> SampleSeries:
    columns = np.array(rows.values, dtype=np.int64).reshape(len(rows.values), len(_COLUMNS)).T
    return SampleSeries(
        key=key,
        start_s=np.array(rows.start_s, dtype=np.int64),
        window_s=np.array(rows.window_s, dtype=np.int64),
        cpu_usage=columns[0],
        cpu_peak=np.maximum(columns[1], columns[0]),
        memory_usage=columns[2],
        memory_peak=np.maximum(columns[3], columns[2]),
        throttled_ms=columns[4],
        oom_kills=columns[5],
        restarts=columns[6],
        memory_request=columns[7],
        memory_limit=columns[8],
        node=rows.node,
    )


def collect_samples(
    events: Iterable[UsageSampled],
) -> tuple[list[SampleSeries], list[SeenNode]]:
    """Every container's samples of ``events`` (sorted by key) and the nodes they ran on."""
    rows: dict[ContainerKey, _Rows] = {}
    nodes: dict[tuple[str, str], SeenNode] = {}
    for event in events:
        start = int(event.window_start.timestamp())
        for usage in event.nodes:
            name = usage.node.name
            seen = nodes.get((event.cluster, name))
            if seen is None or seen.seen_at_s <= start:
                nodes[(event.cluster, name)] = SeenNode(
                    event.cluster, event.provider, event.region, usage.node, start
                )
            c = usage.containers
            values = zip(*(getattr(c, column) for column in _COLUMNS), strict=True)
            names = zip(c.namespace, c.workload_kind, c.workload, c.container, strict=True)
            for (namespace, kind, workload, container), value in zip(names, values, strict=True):
                key = (event.cluster, namespace, kind.value, workload, container)
                acc = rows.setdefault(key, _Rows())
                acc.start_s.append(start)
                acc.window_s.append(event.window_seconds)
                acc.values.append(value)
                if start >= acc.latest_s:
                    acc.latest_s, acc.node = start, name
    series = [_series(key, rows[key]) for key in sorted(rows)]
    return series, sorted(nodes.values(), key=lambda n: (n.cluster, n.node.name))
