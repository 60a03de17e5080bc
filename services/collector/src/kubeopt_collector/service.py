"""Publishing a source's events: backfills of history, and the real-time loop.

* :func:`backfill` publishes an inventory snapshot, then every window of a range in order,
  in chunks (bounded memory), each chunk pipelined with
  :meth:`~kubeopt_collector.publishing.MessagePublisher.publish_many` (messages come
  serialised from the source: :meth:`~kubeopt_collector.source.Source.window_messages`).
* :class:`Pacer` holds a chunk back while the downstream consumer (costing) has too large a
  backlog, so a backfill goes as fast as the pipeline takes it, not faster.
* :class:`Collector` runs in real time: at each window boundary it publishes the window that
  just closed, and a full inventory every ``inventory_interval_s``. It resumes from the last
  window published per cluster (a :class:`~kubeopt_collector.checkpoint.Checkpoint`): missed
  windows are caught up (at most ``max_catch_up_s``), and a first start backfills
  ``initial_backfill_s`` so data exists immediately. Republishing a window is harmless: the
  events keep their ids, JetStream drops the duplicates and consumers are idempotent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from kubeopt_collector.checkpoint import Checkpoint
from kubeopt_collector.publishing import MessagePublisher, OutgoingMessage
from kubeopt_collector.source import Source
from kubeopt_collector.status import SourceStatus
from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)

DEFAULT_CHUNK_SAMPLES = 20_000
"""Samples generated and published per chunk: bounds memory (~200 bytes of JSON a sample)."""


@dataclass(frozen=True)
class BackfillStats:
    """What a backfill published. ``messages`` includes the inventory snapshot."""

    windows: int
    messages: int
    samples: int
    seconds: float


@dataclass(frozen=True)
class ChunkPublished:
    """A chunk of consecutive windows, all acknowledged by JetStream."""

    last_window: datetime
    windows: int
    messages: int
    samples: int


class Pacer:
    """Waits while a durable consumer's backlog (pending + unacked) is above a limit."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str = "KUBEOPT_USAGE",
        durable: str = "costing",
        max_pending_messages: int = 1000,
        poll_s: float = 0.05,
        max_poll_s: float = 1.0,
    ) -> None:
        self._js = js
        self.stream = stream
        self.durable = durable
        self.max_pending_messages = max_pending_messages
        self._poll_s = poll_s
        self._max_poll_s = max_poll_s

    async def backlog(self) -> int | None:
        """Pending + unacked messages of the consumer; None when it does not exist (yet)."""
        try:
            info = await self._js.consumer_info(self.stream, self.durable)
        except NotFoundError:
            return None
        return int(info.num_pending or 0) + int(info.num_ack_pending or 0)

    async def wait(self) -> float:
        """Return once the backlog is at or below the limit; the seconds spent waiting."""
        started = time.monotonic()
        delay = self._poll_s
        while True:
            backlog = await self.backlog()
            if backlog is None or backlog <= self.max_pending_messages:
                return time.monotonic() - started
            log.debug("collector.pacing", consumer=self.durable, backlog=backlog)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_poll_s)


def window_starts(start: datetime, end: datetime, interval_s: int) -> list[datetime]:
    """Window starts aligned to ``interval_s`` (epoch-aligned) in ``[start, end)``."""
    first = -(-int(start.timestamp()) // interval_s) * interval_s
    last = int(end.timestamp())
    return [datetime.fromtimestamp(t, tz=UTC) for t in range(first, last, interval_s)]


def _generate(source: Source, window: datetime) -> tuple[list[OutgoingMessage], int]:
    messages = source.window_messages(window)
    return messages, sum(m.samples for m in messages)


async def publish_windows(
    source: Source,
    publisher: MessagePublisher,
    windows: Sequence[datetime],
    *,
    pacer: Pacer | None = None,
    on_chunk: Callable[[ChunkPublished], None] | None = None,
    chunk_samples: int = DEFAULT_CHUNK_SAMPLES,
) -> tuple[int, int]:
    """Publish usage and flows of ``windows`` in order; returns (messages, samples)."""
    messages = samples = 0
    index = 0
    while index < len(windows):
        if pacer is not None:
            await pacer.wait()
        chunk: list[OutgoingMessage] = []
        chunk_windows = chunk_sample_count = 0
        while index < len(windows) and (not chunk or chunk_sample_count < chunk_samples):
            # Generation is CPU-bound: a worker thread keeps the event loop (API, acks) live.
            batch, count = await asyncio.to_thread(_generate, source, windows[index])
            chunk.extend(batch)
            chunk_sample_count += count
            chunk_windows += 1
            index += 1
        await publisher.publish_many(chunk)
        messages += len(chunk)
        samples += chunk_sample_count
        if on_chunk is not None:
            on_chunk(
                ChunkPublished(windows[index - 1], chunk_windows, len(chunk), chunk_sample_count)
            )
    return messages, samples


async def backfill(
    source: Source,
    publisher: MessagePublisher,
    *,
    start: datetime,
    end: datetime,
    pacer: Pacer | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_chunk: Callable[[ChunkPublished], None] | None = None,
    chunk_samples: int = DEFAULT_CHUNK_SAMPLES,
) -> BackfillStats:
    """Publish an inventory snapshot at ``start``, then every window starting in
    ``[start, end)`` (``start`` rounded up to a window boundary), in order.

    ``progress(done_windows, total_windows)`` is called after each acknowledged chunk.
    """
    started = time.monotonic()
    windows = window_starts(start, end, source.interval_seconds)
    inventory = await asyncio.to_thread(source.inventory_events, start)
    await publisher.publish_events(inventory)
    done = 0

    def chunk_done(chunk: ChunkPublished) -> None:
        nonlocal done
        done += chunk.windows
        if on_chunk is not None:
            on_chunk(chunk)
        if progress is not None:
            progress(done, len(windows))

    messages, samples = await publish_windows(
        source, publisher, windows, pacer=pacer, on_chunk=chunk_done, chunk_samples=chunk_samples
    )
    return BackfillStats(
        windows=len(windows),
        messages=messages + len(inventory),
        samples=samples,
        seconds=time.monotonic() - started,
    )


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep_until(self, at: datetime) -> None: ...


class WallClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, at: datetime) -> None:
        await asyncio.sleep(max(0.0, (at - self.now()).total_seconds()))


@dataclass(frozen=True)
class RealtimePolicy:
    """How far back the collector publishes. Seconds."""

    initial_backfill_s: int = 3600
    max_catch_up_s: int = 86_400
    inventory_interval_s: int = 600
    retry_s: float = 5.0


class Collector:
    """Publishes a source in real time, resuming where the last run stopped."""

    def __init__(
        self,
        source: Source,
        *,
        checkpoint: Checkpoint,
        status: SourceStatus,
        policy: RealtimePolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.source = source
        self.checkpoint = checkpoint
        self.status = status
        self.policy = policy or RealtimePolicy()
        self.clock: Clock = clock or WallClock()
        self._interval = timedelta(seconds=source.interval_seconds)
        self._origin: datetime | None = None

    def _boundary(self, at: datetime) -> datetime:
        epoch = int(at.timestamp())
        return datetime.fromtimestamp(epoch - epoch % self.source.interval_seconds, tz=UTC)

    def pending_start(self, boundary: datetime) -> datetime:
        """First window not yet published by every cluster (bounded by the catch-up limit,
        or by the initial backfill when that is longer).

        A cluster that never published starts ``initial_backfill_s`` before the boundary at
        which this collector first ran.
        """
        if self._origin is None:
            self._origin = boundary - timedelta(seconds=self.policy.initial_backfill_s)
        starts = []
        for cluster in self.source.clusters:
            last = self.status.last_windows.get(cluster)
            starts.append(self._origin if last is None else last + self._interval)
        # An explicit initial backfill longer than the catch-up limit is honoured.
        limit_s = max(self.policy.max_catch_up_s, self.policy.initial_backfill_s)
        start = max(min(starts), boundary - timedelta(seconds=limit_s))
        return min(start, boundary)

    def _on_chunk(self, chunk: ChunkPublished) -> None:
        self.status.record_published(messages=chunk.messages, samples=chunk.samples)
        self.status.record_window(chunk.last_window, self.source.clusters)
        self.checkpoint.save(self.status.last_windows)

    async def _publish_inventory(self, publisher: MessagePublisher, at: datetime) -> None:
        events = await asyncio.to_thread(self.source.inventory_events, at)
        await publisher.publish_events(events)
        self.status.record_published(messages=len(events), samples=0)

    async def run(
        self,
        publisher: MessagePublisher,
        *,
        pacer: Pacer | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Catch up, then publish each window as it closes, until ``stop`` is set.

        A failed publish is recorded in the status and retried: the windows it did not
        publish stay pending and go out with the next attempt.
        """
        self.status.last_windows.update(self.checkpoint.load())
        caught_up = False
        next_inventory: datetime | None = None
        while stop is None or not stop.is_set():
            now = self.clock.now()
            boundary = self._boundary(now)
            try:
                if not caught_up:
                    await self._catch_up(publisher, pacer, boundary)
                    caught_up = True
                if next_inventory is None or now >= next_inventory:
                    await self._publish_inventory(publisher, now)
                    next_inventory = now + timedelta(seconds=self.policy.inventory_interval_s)
                start = self.pending_start(boundary)
                windows = window_starts(start, boundary, self.source.interval_seconds)
                await publish_windows(
                    self.source, publisher, windows, pacer=pacer, on_chunk=self._on_chunk
                )
            except Exception as err:  # keep running: a supervisor restart would not help NATS
                self.status.record_error(err)
                log.warning("collector.publish_failed", error=str(err), exc_info=True)
                await asyncio.sleep(self.policy.retry_s)
                continue
            await self.clock.sleep_until(boundary + self._interval)

    async def _catch_up(
        self, publisher: MessagePublisher, pacer: Pacer | None, boundary: datetime
    ) -> None:
        start = self.pending_start(boundary)
        if start >= boundary:
            return  # nothing missed; the loop publishes the inventory of "now" next
        chunks_before = self.status.messages_published
        stats = await backfill(
            self.source,
            publisher,
            start=start,
            end=boundary,
            pacer=pacer,
            on_chunk=self._on_chunk,
        )
        # The chunks were recorded as they went out; what is left is the inventory snapshot.
        chunk_messages = self.status.messages_published - chunks_before
        self.status.record_published(messages=stats.messages - chunk_messages, samples=0)
        log.info(
            "collector.caught_up",
            start=start.isoformat(),
            end=boundary.isoformat(),
            windows=stats.windows,
            messages=stats.messages,
            samples=stats.samples,
            seconds=round(stats.seconds, 3),
        )
