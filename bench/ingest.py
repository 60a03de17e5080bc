"""Ingest benchmark: raw JetStream vs the whole pipeline, on the same payloads and machine.

(a) ``raw``: the demo scenario's ``usage.sampled`` messages, serialised up front, published with
    pipelined JetStream publishes and drained by a durable pull consumer in a second process
    (fetch 500, ack each) — the transport's ceiling for this payload.
(b) ``e2e``: the collector simulator backfills the same windows (generate → serialise →
    publish, paced by costing's consumer lag) into costing running as its own process (decode →
    price → ClickHouse insert → spend totals → publish), timed until costing has acked the last
    message, i.e. until every sample is in ClickHouse.

Both rates are container samples per second.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js.api import ConsumerConfig, StreamConfig

from kubeopt_collector.publishing import MessagePublisher
from kubeopt_collector.service import Pacer, backfill
from kubeopt_collector.simulator.scenario import DEMO_SCENARIO, load_scenario
from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_common.bus import ensure_streams
from kubeopt_common.bus.server import EmbeddedNatsServer, free_port

WINDOWS = 720  # twelve hours of the demo fleet, about 1,000,000 container samples
RAW_STREAM = "BENCH_RAW"


def _windows(source: SimulatorSource) -> list[datetime]:
    step = timedelta(seconds=source.interval_seconds)
    end = datetime(2026, 11, 1, tzinfo=UTC)
    return [end - step * (WINDOWS - i) for i in range(WINDOWS)]


async def raw_jetstream(url: str, source: SimulatorSource) -> tuple[int, float]:
    payloads: list[tuple[str, str, bytes]] = []
    samples = 0
    for window in _windows(source):
        for event in source.usage_events(window):
            payloads.append(
                (f"bench.raw.{event.cluster}", event.msg_id, event.model_dump_json().encode())
            )
            samples += event.sample_count
    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=4000)
    await js.add_stream(StreamConfig(name=RAW_STREAM, subjects=["bench.raw.>"]))
    await js.add_consumer(RAW_STREAM, ConsumerConfig(durable_name="raw", max_ack_pending=20_000))
    consumer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.raw_consumer",
        url,
        RAW_STREAM,
        "raw",
        str(len(payloads)),
        stdout=asyncio.subprocess.PIPE,
    )
    assert consumer.stdout is not None
    await consumer.stdout.readline()  # "ready"
    started = time.time()
    for subject, msg_id, payload in payloads:
        await js.publish_async(subject, payload, headers={"Nats-Msg-Id": msg_id})
    await js.publish_async_completed()
    finished = float(await consumer.stdout.readline())
    await consumer.wait()
    await nc.drain()
    return samples, finished - started


async def _wait_ready(url: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"costing at {url} not ready")


async def end_to_end(url: str, source: SimulatorSource, workdir: Path) -> tuple[int, float]:
    port = free_port()
    env = {
        **os.environ,  # noqa: TID251 - the child inherits PATH etc.
        "KUBEOPT_NATS__URL": url,
        "KUBEOPT_API__PORT": str(port),
        "KUBEOPT_API__TOKEN": "bench",
        "KUBEOPT_CLICKHOUSE__PATH": str(workdir / "clickhouse"),
        "KUBEOPT_TELEMETRY__LOG_LEVEL": "WARNING",
        "KUBEOPT_RAW_RETENTION_DAYS": "3650",
    }
    log = (workdir / "costing.log").open("wb")
    costing = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kubeopt_costing",
        env=env,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await _wait_ready(f"http://127.0.0.1:{port}")
        nc = await nats.connect(url)
        js = nc.jetstream()
        windows = _windows(source)
        started = time.time()
        stats = await backfill(
            source,
            MessagePublisher(nc),
            start=windows[0],
            end=windows[-1] + timedelta(seconds=source.interval_seconds),
            pacer=Pacer(js, durable="costing"),
        )
        while True:
            info = await js.consumer_info("KUBEOPT_USAGE", "costing")
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
            await asyncio.sleep(0.05)
        elapsed = time.time() - started
        await nc.drain()
        return stats.samples, elapsed
    finally:
        costing.terminate()
        await asyncio.wait_for(costing.wait(), timeout=30)
        log.close()


async def run() -> dict[str, Any]:
    source = SimulatorSource(load_scenario(DEMO_SCENARIO))
    with tempfile.TemporaryDirectory(prefix="kubeopt-bench-") as tmp:
        workdir = Path(tmp)
        with EmbeddedNatsServer(workdir / "nats") as server:
            nc = await nats.connect(server.url)
            await ensure_streams(nc.jetstream())
            await nc.drain()
            raw_samples, raw_s = await raw_jetstream(server.url, source)
            e2e_samples, e2e_s = await end_to_end(server.url, source, workdir)
    raw_rate = raw_samples / raw_s
    e2e_rate = e2e_samples / e2e_s
    return {
        "raw_jetstream_samples_per_s": round(raw_rate),
        "e2e_samples_per_s": round(e2e_rate),
        "ratio": round(e2e_rate / raw_rate, 3),
        "samples": e2e_samples,
        "raw_samples": raw_samples,
        "raw_seconds": round(raw_s, 3),
        "e2e_seconds": round(e2e_s, 3),
        "windows": WINDOWS,
        "cpu_count": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
