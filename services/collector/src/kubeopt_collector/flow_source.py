"""The flow-log source: reads Cilium Hubble JSON exports or AWS VPC flow log files as they
grow, resolves addresses through the cluster's inventory and publishes ``flows.observed``.

``path`` is one file (appended to, e.g. Hubble's export file) or a directory of files
(e.g. VPC flow logs synced from S3; ``.gz`` files are read whole, once). The byte offset read
so far in each file is a checkpoint, written after the flows it produced are published, so a
restart neither loses nor double-counts: the event id is derived from the file and offsets
read, and re-reading the same bytes gives the same ids (JetStream drops the duplicates).
"""

from __future__ import annotations

import asyncio
import gzip
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from kubeopt_collector.domain.flows import (
    Aggregate,
    FlowRecord,
    FlowRecordError,
    Resolver,
    VpcFlowParser,
    parse_hubble,
)
from kubeopt_collector.health import Backoff, SourceHealth
from kubeopt_collector.prometheus_source import Checkpoints
from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_common.events import FlowsObserved, Provider, event_id_for

Publish = Callable[[Sequence[OutgoingMessage]], Awaitable[object]]
MAX_FLOWS_PER_MESSAGE = 1000
MAX_READ_BYTES = 64 * 2**20
"""Read at most this much of one file per poll (bounded memory on a large backlog)."""


class FlowFilesError(OSError):
    """The configured path cannot be read."""


@dataclass(frozen=True)
class Chunk:
    """Complete lines read from one file, and the offsets they span."""

    path: Path
    start: int
    end: int
    lines: list[str]


def read_new(path: Path, offset: int) -> Chunk:
    """Complete lines after ``offset`` (a truncated or rotated file is read from 0)."""
    if path.suffix == ".gz":
        size = path.stat().st_size
        if offset >= size:
            return Chunk(path, offset, offset, [])
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            return Chunk(path, 0, size, fh.read().splitlines())
    size = path.stat().st_size
    start = 0 if size < offset else offset
    with path.open("rb") as fh:
        fh.seek(start)
        data = fh.read(MAX_READ_BYTES)
    complete = data.rfind(b"\n") + 1  # a half-written last line waits for the next poll
    text = data[:complete].decode("utf-8", errors="replace")
    return Chunk(path, start, start + complete, text.splitlines())


class FlowLogSource:
    name = "flowlogs"

    def __init__(
        self,
        *,
        path: Path,
        fmt: Literal["hubble", "vpc"],
        resolver: Resolver,
        cluster: str,
        producer: str,
        provider: Provider,
        region: str,
        health: SourceHealth,
        publish: Publish,
        checkpoints: Checkpoints,
        window_s: int = 60,
        poll_s: float = 10.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.path = path
        self.fmt = fmt
        self.resolver = resolver
        self.cluster, self.producer, self.provider, self.region = (
            cluster,
            producer,
            provider,
            region,
        )
        self.health = health
        self._publish = publish
        self._checkpoints = checkpoints
        self.window_s = window_s
        self.poll_s = poll_s
        self._backoff = backoff or Backoff()
        self._vpc = VpcFlowParser()

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                await self.poll()
                failures = 0
            except OSError as err:
                failures += 1
                delay = self._backoff.delay(failures)
                self.health.failed(err, retry_in_s=delay)
                await asyncio.sleep(delay)
                continue
            await asyncio.sleep(self.poll_s)

    def files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.iterdir() if p.is_file())
        if self.path.is_file():
            return [self.path]
        raise FlowFilesError(f"flow log path {self.path} does not exist")

    async def poll(self) -> int:
        """Read what is new in every file and publish its flows; returns messages published."""
        published = 0
        for path in self.files():
            key = f"offset:{path.name}"
            offset = int(await self._checkpoints.get(key) or 0)
            chunk = await asyncio.to_thread(read_new, path, offset)
            if chunk.end == chunk.start:
                continue
            published += await self._publish_chunk(chunk)
            await self._checkpoints.put(key, str(chunk.end))
        self.health.seen()
        return published

    def _records(self, chunk: Chunk, skipped: Counter[str]) -> list[FlowRecord]:
        records: list[FlowRecord] = []
        if chunk.start == 0:
            self._vpc = VpcFlowParser()  # each file has its own header
        for number, line in enumerate(chunk.lines):
            try:
                record = self._vpc.parse(line) if self.fmt == "vpc" else parse_hubble(line)
            except FlowRecordError as err:
                skipped[err.reason] += 1
                if skipped[err.reason] == 1:
                    who = f"{chunk.path.name} line after byte {chunk.start} (+{number})"
                    self.health.skip(kind="Flow", reason=err.reason, identity=who, detail=str(err))
                continue
            if record is not None:
                records.append(record)
        return records

    async def _publish_chunk(self, chunk: Chunk) -> int:
        skipped: Counter[str] = Counter()
        aggregate = Aggregate.empty(self.window_s)
        for record in self._records(chunk, skipped):
            aggregate.add(record, self.resolver)
        for ip in sorted(set(aggregate.unknown)):
            self.health.skip(
                kind="Flow", reason="unknown_ip", identity=ip, detail="no pod or node has it"
            )
        self._count_repeats(skipped)
        messages = [OutgoingMessage.of(event) for event in self._events(chunk, aggregate)]
        if messages:
            await self._publish(messages)
            self.health.record_published(len(messages))
        return len(messages)

    def _count_repeats(self, skipped: Counter[str]) -> None:
        """Skips past the first per reason are counted (the first was logged)."""
        if self.health.metrics is None:
            return
        for reason, count in skipped.items():
            if count > 1:
                self.health.skipped += count - 1
                self.health.metrics.skipped.labels(self.cluster, self.name, "Flow", reason).inc(
                    count - 1
                )

    def _events(self, chunk: Chunk, aggregate: Aggregate) -> list[FlowsObserved]:
        events = []
        for window, flows in aggregate.windows():
            for index in range(0, len(flows), MAX_FLOWS_PER_MESSAGE):
                events.append(
                    FlowsObserved.create(
                        event_id=event_id_for(
                            "flows",
                            self.cluster,
                            chunk.path.name,
                            chunk.start,
                            chunk.end,
                            window,
                            index,
                        ),
                        occurred_at=datetime.fromtimestamp(window + self.window_s, tz=UTC),
                        cluster=self.cluster,
                        producer=self.producer,
                        provider=self.provider,
                        region=self.region,
                        window_start=datetime.fromtimestamp(window, tz=UTC),
                        window_seconds=self.window_s,
                        flows=flows[index : index + MAX_FLOWS_PER_MESSAGE],
                    )
                )
        return events
