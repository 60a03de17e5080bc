"""Allocation query benchmark: 30-day allocation by namespace over a 10,000-container fleet.

The fleet (bench/fleet_10k.yaml) is backfilled by the simulator through NATS into costing (its
own process, chDB), then ``GET /v1/allocation?window=30d&aggregate=namespace`` is timed over
HTTP, as a user would call it. Target: p95 < 300 ms.

Baseline, same run and data: the same query in process, answered as before whole days came from
the daily rollup (every hour of the 30 days from the hourly one), next to today's path in process.

The anomaly watch is off while the fleet is backfilled: it judges every closed hour of 2,000+
series against four weeks of history, which makes a 30-day backfill of this fleet take tens of
minutes and is not what this benchmark measures (see the anomaly watch's notes in ROADMAP.md).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats

from kubeopt_collector.publishing import MessagePublisher
from kubeopt_collector.service import Pacer, backfill
from kubeopt_collector.simulator.scenario import load_scenario
from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_common.bus import ensure_streams
from kubeopt_common.bus.server import EmbeddedNatsServer, free_port
from kubeopt_common.clickhouse.chdb_adapter import ChdbClickHouse
from kubeopt_costing.analytics.allocation import AllocationQuery, choose_source, query_allocation
from kubeopt_costing.domain.aggregation import parse_aggregate
from kubeopt_costing.domain.windows import parse_window

FLEET = Path(__file__).with_name("fleet_10k.yaml")
DAYS = 30
QUERIES = 60
WARMUP = 5


async def _ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(url)


async def _drained(js: Any) -> None:
    while True:
        info = await js.consumer_info("KUBEOPT_USAGE", "costing")
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return
        await asyncio.sleep(0.5)


async def _latencies(url: str, token: str) -> list[float]:
    timings = []
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        for i in range(WARMUP + QUERIES):
            started = time.perf_counter()
            response = await client.get(
                "/v1/allocation", params={"window": f"{DAYS}d", "aggregate": "namespace"}
            )
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            if i >= WARMUP:
                timings.append(elapsed * 1000)
    return timings


def _percentiles(timings: list[float]) -> tuple[float, float]:
    return round(statistics.median(timings), 1), round(statistics.quantiles(timings, n=100)[94], 1)


def _in_process(path: Path) -> dict[str, float]:
    """Today's path and the hourly-only baseline, timed alternately on the same store."""
    ch = ChdbClickHouse(path, database="kubeopt")
    try:
        query = AllocationQuery(
            parse_window(f"{DAYS}d", now=datetime.now(UTC)), parse_aggregate("namespace")
        )
        hourly = choose_source(query.window, None)
        timings: dict[str, list[float]] = {"now": [], "hourly": []}
        for i in range(WARMUP + QUERIES):
            for name, source in (("now", None), ("hourly", hourly)):
                started = time.perf_counter()
                query_allocation(ch, query, source)
                if i >= WARMUP:
                    timings[name].append((time.perf_counter() - started) * 1000)
    finally:
        ch.close()
    now_p50, now_p95 = _percentiles(timings["now"])
    base_p50, base_p95 = _percentiles(timings["hourly"])
    return {
        "in_process_p50_ms": now_p50,
        "in_process_p95_ms": now_p95,
        "baseline_hourly_only_p50_ms": base_p50,
        "baseline_hourly_only_p95_ms": base_p95,
    }


async def run() -> dict[str, Any]:
    source = SimulatorSource(load_scenario(FLEET))
    containers = sum(len(cluster.containers) for cluster in source.fleet.clusters)
    step = timedelta(seconds=source.interval_seconds)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    end = epoch + ((datetime.now(UTC) - epoch) // step) * step
    with (
        tempfile.TemporaryDirectory(prefix="kubeopt-bench-") as tmp,
        EmbeddedNatsServer(Path(tmp) / "nats") as server,
    ):
        port, token = free_port(), "bench"
        env = {
            **os.environ,  # noqa: TID251 - the child inherits PATH etc.
            "KUBEOPT_NATS__URL": server.url,
            "KUBEOPT_API__PORT": str(port),
            "KUBEOPT_API__TOKEN": token,
            "KUBEOPT_CLICKHOUSE__PATH": str(Path(tmp) / "ch"),
            "KUBEOPT_TELEMETRY__LOG_LEVEL": "WARNING",
            "KUBEOPT_RAW_RETENTION_DAYS": "40",
            "KUBEOPT_ANOMALIES__ENABLED": "false",
        }
        log = (Path(tmp) / "costing.log").open("wb")
        costing = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kubeopt_costing",
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            await _ready(url)
            nc = await nats.connect(server.url)
            js = nc.jetstream()
            await ensure_streams(js)
            started = time.perf_counter()
            stats = await backfill(
                source,
                MessagePublisher(nc),
                start=end - timedelta(days=DAYS),
                end=end,
                pacer=Pacer(js, durable="costing"),
            )
            await _drained(js)
            ingest_s = time.perf_counter() - started
            await nc.drain()
            timings = await _latencies(url, token)
        finally:
            costing.terminate()
            await asyncio.wait_for(costing.wait(), timeout=60)
            log.close()
        compared = _in_process(Path(tmp) / "ch")
    p50, p95 = _percentiles(timings)
    return {
        "p50_ms": p50,
        "p95_ms": p95,
        "containers": containers,
        "days": DAYS,
        "samples": stats.samples,
        "queries": QUERIES,
        **compared,
        "backfill_s": round(ingest_s, 1),
        "cpu_count": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
