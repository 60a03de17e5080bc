"""The Prometheus usage source: ``usage.sampled`` for every closed window, from PromQL.

On a first start it backfills ``backfill`` seconds of history; afterwards it resumes from the
last window it published (a checkpoint in the registry database), so a restart publishes
what it missed and nothing twice (event ids are deterministic per window and node range).
A window is published once it is ``lag_s`` old, leaving late scrapes time to land.

Work is split so no single query is too large (see :mod:`kubeopt_collector.domain.promql`):
time chunks sized from the number of pods, pod batches within a chunk. Every result of a chunk
is gathered before its windows are assembled, because a message carries whole nodes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.prom_usage import Results, UsageContext, assemble
from kubeopt_collector.domain.promql import (
    EXPECTED_CONTAINERS_PER_POD,
    Queries,
    align_down,
    batch_matchers,
    batches,
    time_chunks,
)
from kubeopt_collector.health import Backoff, SourceHealth, SourceState
from kubeopt_collector.prometheus import PrometheusClient, PrometheusError
from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)
Publish = Callable[[Sequence[OutgoingMessage]], Awaitable[object]]
LAST_WINDOW = "last_window"


class Checkpoints(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, value: str) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PrometheusOptions:
    step_s: int = 300
    backfill_s: int = 86_400
    lag_s: int = 120
    pod_batch_size: int = 200
    max_points_per_series: int = 11_000
    max_samples_per_query: int = 2_000_000
    selector: str = ""
    backoff: Backoff = Backoff()  # noqa: RUF009 - frozen, so sharing the default is safe


class PrometheusUsageSource:
    name = "prometheus"

    def __init__(
        self,
        *,
        client_factory: Callable[[], PrometheusClient],
        context: UsageContext,
        inventory: ClusterInventory | None,
        health: SourceHealth,
        publish: Publish,
        checkpoints: Checkpoints,
        options: PrometheusOptions,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._client_factory = client_factory
        self.context = context
        self.inventory = inventory
        self.health = health
        self._publish = publish
        self._checkpoints = checkpoints
        self.options = options
        self._now = now
        self._queries = Queries(options.step_s, options.selector)
        self.windows_published = 0

    async def run(self) -> None:
        """Catch up, then publish each window as it closes, until cancelled."""
        client = self._client_factory()
        failures = 0
        try:
            while True:
                try:
                    await self.catch_up(client)
                    failures = 0
                except PrometheusError as err:
                    failures += 1
                    delay = self.options.backoff.delay(failures)
                    self.health.failed(err, retry_in_s=delay)
                    await asyncio.sleep(delay)
                    continue
                await asyncio.sleep(self._until_next_window())
        finally:
            await client.close()

    def _until_next_window(self) -> float:
        step, lag = self.options.step_s, self.options.lag_s
        now = self._now()
        due = align_down(now - timedelta(seconds=lag), step) + timedelta(seconds=step + lag)
        return max(1.0, (due - now).total_seconds())

    async def pending(self) -> tuple[datetime, datetime]:
        """``[first, limit)``: starts of the closed windows not yet published."""
        step_s = self.options.step_s
        limit = align_down(self._now() - timedelta(seconds=self.options.lag_s), step_s)
        stored = await self._checkpoints.get(LAST_WINDOW)
        if stored is not None:
            first = datetime.fromtimestamp(int(stored) + step_s, tz=UTC)
        else:
            first = align_down(limit - timedelta(seconds=self.options.backfill_s), step_s)
        return first, limit

    async def catch_up(self, client: PrometheusClient) -> int:
        """Publish every closed window not yet published; returns how many."""
        first, limit = await self.pending()
        if first >= limit:
            self.health.seen()
            return 0
        if self.health.state is SourceState.STARTING:
            self.health.state = SourceState.SYNCING
        span_s = int((limit - first).total_seconds())
        every_pod = await self._pods(client, at=limit, span_s=span_s)
        chunks = time_chunks(
            first,
            limit,
            step_s=self.options.step_s,
            max_points_per_series=self.options.max_points_per_series,
            series_per_query=max(1, len(every_pod) * EXPECTED_CONTAINERS_PER_POD),
            max_samples_per_query=self.options.max_samples_per_query,
        )
        published = 0
        for chunk_first, chunk_last in chunks:
            published += await self.publish_chunk(client, chunk_first, chunk_last)
            await self._checkpoints.put(LAST_WINDOW, str(int(chunk_last.timestamp())))
            self.health.seen(state=SourceState.OK)
        log.info(
            "collector.prometheus_caught_up",
            cluster=self.context.cluster,
            windows=published,
            first=first.isoformat(),
            limit=limit.isoformat(),
            queries=client.queries,
        )
        return published

    async def _pods(
        self, client: PrometheusClient, *, at: datetime, span_s: int
    ) -> list[tuple[str, str]]:
        series = await client.query(self._queries.pods(span_s), at=at)
        return sorted(
            {
                (s.labels["namespace"], s.labels["pod"])
                for s in series
                if "pod" in s.labels and "namespace" in s.labels
            }
        )

    async def publish_chunk(self, client: PrometheusClient, first: datetime, last: datetime) -> int:
        """Query windows ``first..last`` (starts, inclusive) and publish them in order."""
        step = timedelta(seconds=self.options.step_s)
        start_q, end_q = first + step, last + step  # points are stamped at window ends
        span_s = int((end_q - first).total_seconds())
        results = Results(self.options.step_s)
        for column, query in self._queries.cluster().items():
            series = await client.query_range(
                query, start=start_q, end=end_q, step_s=self.options.step_s
            )
            results.add_cluster(column, series)
        pods = await self._pods(client, at=end_q, span_s=span_s)
        for batch in batches(pods, self.options.pod_batch_size):
            selected = set(batch)
            for column, query in self._queries.container(batch_matchers(batch)).items():
                series = await client.query_range(
                    query, start=start_q, end=end_q, step_s=self.options.step_s
                )
                results.add_container(column, series, selected)
        windows = 0
        at = first
        while at <= last:
            await self._publish_window(results, int(at.timestamp()))
            windows += 1
            at += step
        return windows

    async def _publish_window(self, results: Results, window_start_s: int) -> None:
        assembly = await asyncio.to_thread(
            assemble, results, window_start_s, context=self.context, inventory=self.inventory
        )
        for who, reason in assembly.skipped:
            self.health.skip(kind="Container", reason=reason, identity=who, detail="no node facts")
        messages = [OutgoingMessage.of(event) for event in assembly.events]
        if messages:
            await self._publish(messages)
            self.health.record_published(len(messages))
        self.windows_published += 1
