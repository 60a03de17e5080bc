"""Backfill, pacing and resume against a real nats-server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats.errors
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck

from kubeopt_collector.checkpoint import STATE_FILE, Checkpoint
from kubeopt_collector.publishing import MessagePublisher, OutgoingMessage
from kubeopt_collector.service import (
    Collector,
    Pacer,
    RealtimePolicy,
    backfill,
    window_starts,
)
from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_collector.status import SourceStatus
from kubeopt_common.bus import ensure_streams
from kubeopt_common.events import Subject, UsageSampled, for_cluster
from tests.collector.builders import cluster, container, pool, scenario, workload

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
USAGE_STREAM = "KUBEOPT_USAGE"


def small_source(name: str) -> SimulatorSource:
    c = cluster(
        name,
        pools=[pool(count=3)],
        workloads=[
            workload("agent", kind="DaemonSet", containers=[container(cpu="10m")]),
            workload("api", replicas=4, containers=[container("app"), container("proxy")]),
        ],
        flows=[{"from": "apps/api", "to": "internet", "bytes_per_second": 100}],
    )
    return SimulatorSource(scenario(c), max_samples_per_message=4)


class RecordingPublisher(MessagePublisher):
    """The real publisher, remembering what JetStream acknowledged."""

    def __init__(self, nc: Client, *, fail_first: int = 0) -> None:
        super().__init__(nc)
        self.messages: list[OutgoingMessage] = []
        self._failures_left = fail_first

    async def publish_many(self, messages: Iterable[OutgoingMessage]) -> list[PubAck]:
        batch = list(messages)
        if self._failures_left:
            self._failures_left -= 1
            msg = "nats is down"
            raise ConnectionError(msg)
        acks = await super().publish_many(batch)
        self.messages.extend(batch)
        return acks

    def usage_events(self) -> list[UsageSampled]:
        return [
            UsageSampled.model_validate_json(m.payload)
            for m in self.messages
            if m.subject.startswith(f"{Subject.USAGE_SAMPLED.value}.")
        ]

    def usage_windows(self) -> list[datetime]:
        return sorted({e.window_start for e in self.usage_events()})


class FakeClock:
    """Time that jumps to each boundary (plus a second); stops the loop after ``stop_after``."""

    def __init__(self, now: datetime, *, stop_after: datetime, stop: asyncio.Event) -> None:
        self._now = now
        self._stop_after = stop_after
        self._stop = stop

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, at: datetime) -> None:
        if at > self._stop_after:
            self._stop.set()
            return
        self._now = at + timedelta(seconds=1)
        await asyncio.sleep(0)


async def fetch_usage(js: JetStreamContext, cluster_name: str, durable: str) -> list[UsageSampled]:
    subject = f"{Subject.USAGE_SAMPLED.value}.{cluster_name}"
    sub = await js.pull_subscribe(subject, durable=durable, stream=USAGE_STREAM)
    out: list[UsageSampled] = []
    while True:
        try:
            messages = await sub.fetch(100, timeout=0.5)
        except nats.errors.TimeoutError:
            break
        for message in messages:
            event = UsageSampled.model_validate_json(message.data)  # as costing reads it
            assert message.headers is not None
            assert message.headers["Nats-Msg-Id"] == str(event.event_id)
            out.append(event)
            await message.ack()
    await sub.unsubscribe()
    await js.delete_consumer(USAGE_STREAM, durable)
    return out


async def stored(js: JetStreamContext, cluster_name: str) -> int:
    subject = f"{Subject.USAGE_SAMPLED.value}.{cluster_name}"
    info = await js.stream_info(USAGE_STREAM, subjects_filter=subject)
    return (info.state.subjects or {}).get(subject, 0)


async def test_backfill_publishes_every_window_of_every_node_once(nc: Client, unique: str) -> None:
    js = nc.jetstream()
    await ensure_streams(js)
    name = f"bf-{unique}"
    source = small_source(name)
    publisher = MessagePublisher(nc)
    progress: list[tuple[int, int]] = []
    end = T0 + timedelta(minutes=5)

    stats = await backfill(
        source,
        publisher,
        start=T0,
        end=end,
        progress=lambda done, total: progress.append((done, total)),
    )

    usage = await fetch_usage(js, name, f"check-{unique}")
    nodes = {n.name for n in source.fleet.clusters[0].nodes}
    windows = window_starts(T0, end, 60)
    assert {(e.window_start, n.node.name) for e in usage for n in e.nodes} == {
        (w, n) for w in windows for n in nodes
    }
    assert len(usage) == sum(len(source.usage_events(w)) for w in windows)
    starts = [e.window_start for e in usage]
    assert starts == sorted(starts)  # stored in publishing order
    assert stats.windows == 5
    assert stats.samples == sum(e.sample_count for e in usage) == 5 * (3 + 8)
    assert stats.messages == len(usage) + 5 + 1  # + one flow message per window + inventory
    assert progress[-1] == (5, 5)

    again = await backfill(source, publisher, start=T0, end=end)
    assert again.messages == stats.messages
    assert await stored(js, name) == len(usage)  # JetStream dropped the republished window


async def test_backfill_in_small_chunks_keeps_window_order(nc: Client, unique: str) -> None:
    await ensure_streams(nc.jetstream())
    publisher = RecordingPublisher(nc)
    source = small_source(f"chunks-{unique}")
    progress: list[tuple[int, int]] = []
    await backfill(
        source,
        publisher,
        start=T0 + timedelta(seconds=10),  # rounded up to the next window
        end=T0 + timedelta(minutes=4),
        chunk_samples=1,
        progress=lambda done, total: progress.append((done, total)),
    )
    name = source.clusters[0]
    assert publisher.messages[0].subject == for_cluster(Subject.INVENTORY_SNAPSHOTTED, name)
    starts = [e.window_start for e in publisher.usage_events()]
    assert starts == sorted(starts)
    assert publisher.usage_windows() == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]
    assert progress == [(1, 3), (2, 3), (3, 3)]


async def test_pacer_waits_while_the_consumer_has_a_backlog(nc: Client, unique: str) -> None:
    js = nc.jetstream()
    await ensure_streams(js)
    durable = f"costing-{unique}"
    subject = f"{Subject.USAGE_SAMPLED.value}.pace-{unique}"
    pacer = Pacer(js, stream=USAGE_STREAM, durable=durable, max_pending_messages=3, poll_s=0.01)
    assert await pacer.backlog() is None
    await asyncio.wait_for(pacer.wait(), timeout=5)  # no consumer yet: no waiting

    sub = await js.pull_subscribe(subject, durable=durable, stream=USAGE_STREAM)
    for i in range(10):
        await js.publish(subject, b"{}", headers={"Nats-Msg-Id": f"{unique}-{i}"})
    assert await pacer.backlog() == 10
    waiting = asyncio.create_task(pacer.wait())
    await asyncio.sleep(0.3)
    assert not waiting.done()

    messages = await sub.fetch(10, timeout=5)
    for message in messages[:6]:
        await message.ack()
    await asyncio.sleep(0.3)
    assert not waiting.done()  # 4 still unacknowledged
    for message in messages[6:]:
        await message.ack()
    await asyncio.wait_for(waiting, timeout=10)
    assert await pacer.backlog() == 0
    await sub.unsubscribe()
    await js.delete_consumer(USAGE_STREAM, durable)


async def run_collector(
    nc: Client,
    source: SimulatorSource,
    state_dir: Path,
    *,
    now: datetime,
    stop_after: datetime,
    policy: RealtimePolicy,
    fail_first: int = 0,
) -> tuple[RecordingPublisher, SourceStatus]:
    publisher = RecordingPublisher(nc, fail_first=fail_first)
    status = SourceStatus(name="simulator", kind=source.kind, clusters=source.clusters)
    stop = asyncio.Event()
    collector = Collector(
        source,
        checkpoint=Checkpoint(state_dir / STATE_FILE),
        status=status,
        policy=policy,
        clock=FakeClock(now, stop_after=stop_after, stop=stop),
    )
    await asyncio.wait_for(collector.run(publisher, stop=stop), timeout=30)
    return publisher, status


def minutes(start: datetime, first: int, last: int) -> list[datetime]:
    return [start + timedelta(minutes=m) for m in range(first, last + 1)]


async def test_restart_publishes_only_the_missed_windows(
    nc: Client, unique: str, tmp_path: Path
) -> None:
    await ensure_streams(nc.jetstream())
    source = small_source(f"resume-{unique}")
    policy = RealtimePolicy(initial_backfill_s=300, max_catch_up_s=3600, inventory_interval_s=600)

    first, status = await run_collector(
        nc, source, tmp_path, now=T0 + timedelta(seconds=30),
        stop_after=T0 + timedelta(minutes=3), policy=policy,
    )  # fmt: skip
    # Five windows of initial history, then 12:00, 12:01 and 12:02 as they closed.
    assert first.usage_windows() == minutes(T0, -5, 2)
    assert status.last_windows == {source.clusters[0]: T0 + timedelta(minutes=2)}
    assert status.samples_published == 8 * 11
    saved = json.loads((tmp_path / STATE_FILE).read_text())
    assert saved["windows"] == {source.clusters[0]: "2025-01-06T12:02:00+00:00"}

    second, _ = await run_collector(
        nc, source, tmp_path, now=T0 + timedelta(minutes=10, seconds=30),
        stop_after=T0 + timedelta(minutes=10, seconds=30), policy=policy,
    )  # fmt: skip
    assert second.usage_windows() == minutes(T0, 3, 9)

    late = T0 + timedelta(hours=8)
    bounded = RealtimePolicy(initial_backfill_s=300, max_catch_up_s=600)
    third, _ = await run_collector(
        nc, source, tmp_path, now=late + timedelta(seconds=30), stop_after=late, policy=bounded
    )
    assert third.usage_windows() == minutes(late, -10, -1)


async def test_first_start_without_history_publishes_from_now_on(
    nc: Client, unique: str, tmp_path: Path
) -> None:
    await ensure_streams(nc.jetstream())
    source = small_source(f"fresh-{unique}")
    publisher, _ = await run_collector(
        nc, source, tmp_path, now=T0 + timedelta(seconds=30),
        stop_after=T0 + timedelta(minutes=2), policy=RealtimePolicy(initial_backfill_s=0),
    )  # fmt: skip
    assert publisher.usage_windows() == minutes(T0, 0, 1)
    inventory = for_cluster(Subject.INVENTORY_SNAPSHOTTED, source.clusters[0])
    assert [m for m in publisher.messages if m.subject == inventory]  # a snapshot at start


async def test_publish_failures_are_recorded_and_retried(
    nc: Client, unique: str, tmp_path: Path
) -> None:
    await ensure_streams(nc.jetstream())
    source = small_source(f"retry-{unique}")
    publisher, status = await run_collector(
        nc, source, tmp_path, now=T0 + timedelta(seconds=30),
        stop_after=T0 + timedelta(minutes=1),
        policy=RealtimePolicy(initial_backfill_s=120, retry_s=0.01), fail_first=2,
    )  # fmt: skip
    assert status.last_error == "ConnectionError: nats is down"
    assert publisher.usage_windows() == minutes(T0, -2, 0)


@pytest.mark.parametrize("initial", [0, 1])
def test_window_starts_are_aligned(initial: int) -> None:
    start = T0 + timedelta(seconds=initial)
    got = window_starts(start, T0 + timedelta(minutes=3), 60)
    assert got == minutes(T0, initial, 2)
