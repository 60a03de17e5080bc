"""Pure observation bookkeeping: a batch of usage events folded per container. No I/O.

A container is identified across replicas by (cluster, namespace, workload kind, workload,
container name): the recommendation target. Pods come and go; the container history stays.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from kubeopt_common.events import NO_LIMIT, ContainerColumns, UsageSampled

ContainerKey = tuple[str, str, str, str, str]
"""(cluster, namespace, workload_kind, workload, container)."""

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class ContainerBatch:
    """Everything one batch of events says about one container (all its replicas).

    Times are aware UTC; ``first_window_start``/``last_window_start`` bound the distinct
    window starts seen (``windows_observed`` of them); ``last_seen`` is the latest window end.
    Requests, limits and ``node`` are those of a sample in the latest window;
    ``observed_seconds`` sums the window length of every sample (replica-seconds).
    """

    key: ContainerKey
    first_window_start: datetime
    last_window_start: datetime
    last_seen: datetime
    windows_observed: int
    samples: int
    cpu_peak_millicores: int
    memory_peak_bytes: int
    oom_kills: int
    restarts: int
    cpu_request_millicores: int
    memory_request_bytes: int
    cpu_limit_millicores: int | None
    memory_limit_bytes: int | None
    throttled_ms: int = 0
    observed_seconds: int = 0
    node: str = ""


@dataclass(frozen=True, slots=True)
class ContainerHistory:
    """The stored observation of one container (see ``ContainerBatch`` for the units).

    ``throttled_ms`` and ``observed_seconds`` (Σ over samples of the window length: replica-
    seconds observed) are running totals; ``node`` is where the latest sample ran.
    """

    key: ContainerKey
    first_seen: datetime
    last_seen: datetime
    windows_observed: int
    samples: int
    cpu_peak_millicores: int
    memory_peak_bytes: int
    oom_kills: int
    restarts: int
    cpu_request_millicores: int
    memory_request_bytes: int
    cpu_limit_millicores: int | None
    memory_limit_bytes: int | None
    throttled_ms: int = 0
    observed_seconds: int = 0
    node: str = ""


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    history_hours: float
    enough_history: bool


class _Row(NamedTuple):
    """One container sample of one window, as read from the columns of a ``usage.sampled``."""

    cpu_request_millicores: int
    memory_request_bytes: int
    cpu_limit_millicores: int
    memory_limit_bytes: int
    cpu_usage_millicores: int
    cpu_peak_millicores: int
    memory_usage_bytes: int
    memory_peak_bytes: int
    oom_kills: int
    restarts: int
    throttled_ms: int


class _Accumulator:
    """Mutable fold of one container's samples; only lives inside :func:`aggregate_usage`."""

    def __init__(self, window_start: datetime, window_end: datetime, row: _Row, node: str) -> None:
        self.windows: set[datetime] = set()
        self.last_seen = window_end
        self.latest = row
        self.latest_window = window_start
        self.node = node
        self.samples = 0
        self.cpu_peak = 0
        self.memory_peak = 0
        self.oom_kills = 0
        self.restarts = 0
        self.throttled_ms = 0
        self.observed_seconds = 0

    def add(self, window_start: datetime, window_end: datetime, row: _Row, node: str) -> None:
        self.windows.add(window_start)
        self.samples += 1
        self.throttled_ms += row.throttled_ms
        self.observed_seconds += int((window_end - window_start).total_seconds())
        # A sample without a measured peak still proves the average was reached.
        self.cpu_peak = max(self.cpu_peak, row.cpu_peak_millicores, row.cpu_usage_millicores)
        self.memory_peak = max(self.memory_peak, row.memory_peak_bytes, row.memory_usage_bytes)
        self.oom_kills += row.oom_kills
        self.restarts += row.restarts
        self.last_seen = max(self.last_seen, window_end)
        if window_start >= self.latest_window:
            self.latest_window = window_start
            self.latest = row
            self.node = node

    def result(self, key: ContainerKey) -> ContainerBatch:
        latest = self.latest
        return ContainerBatch(
            key=key,
            first_window_start=min(self.windows),
            last_window_start=max(self.windows),
            last_seen=self.last_seen,
            windows_observed=len(self.windows),
            samples=self.samples,
            cpu_peak_millicores=self.cpu_peak,
            memory_peak_bytes=self.memory_peak,
            oom_kills=self.oom_kills,
            restarts=self.restarts,
            throttled_ms=self.throttled_ms,
            observed_seconds=self.observed_seconds,
            node=self.node,
            cpu_request_millicores=latest.cpu_request_millicores,
            memory_request_bytes=latest.memory_request_bytes,
            cpu_limit_millicores=_limit(latest.cpu_limit_millicores),
            memory_limit_bytes=_limit(latest.memory_limit_bytes),
        )


def _limit(value: int) -> int | None:
    """The contract's :data:`NO_LIMIT` (0) becomes ``None``: no limit is not a limit of zero."""
    return None if value == NO_LIMIT else value


def _rows(columns: ContainerColumns) -> Iterator[tuple[tuple[str, str, str, str], _Row]]:
    """(namespace, workload kind, workload, container) and the sample, per container."""
    c = columns
    names = zip(c.namespace, c.workload_kind, c.workload, c.container, strict=True)
    values = zip(
        c.cpu_request_millicores,
        c.memory_request_bytes,
        c.cpu_limit_millicores,
        c.memory_limit_bytes,
        c.cpu_usage_millicores,
        c.cpu_peak_millicores,
        c.memory_usage_bytes,
        c.memory_peak_bytes,
        c.oom_kills,
        c.restarts,
        c.cpu_throttled_ms,
        strict=True,
    )
    for (namespace, kind, workload, container), row in zip(names, values, strict=True):
        yield (namespace, kind.value, workload, container), _Row(*row)


def aggregate_usage(events: Iterable[UsageSampled]) -> list[ContainerBatch]:
    """Fold every container sample of ``events`` into one :class:`ContainerBatch` per container.

    The result is sorted by key, which gives concurrent writers one row-lock order. Callers pass
    each event once (the inbox removes redeliveries first).
    """
    folds: dict[ContainerKey, _Accumulator] = {}
    for event in events:
        start = event.window_start
        end = start + timedelta(seconds=event.window_seconds)
        for node_usage in event.nodes:
            node = node_usage.node.name
            for (namespace, kind, workload, container), row in _rows(node_usage.containers):
                key = (event.cluster, namespace, kind, workload, container)
                fold = folds.get(key)
                if fold is None:
                    fold = folds[key] = _Accumulator(start, end, row, node)
                fold.add(start, end, row, node)
    return [folds[key].result(key) for key in sorted(folds)]


def history_facts(history: ContainerHistory, *, min_history_hours: float) -> HistoryFacts:
    """Hours between the first window start and the last window end, and whether that reaches
    ``min_history_hours`` (the history a recommendation needs)."""
    hours = (history.last_seen - history.first_seen).total_seconds() / SECONDS_PER_HOUR
    return HistoryFacts(history_hours=hours, enough_history=hours >= min_history_hours)
