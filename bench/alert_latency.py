"""Alert latency: from a ``spend.updated`` publish to the signed webhook's arrival.

budgets and notifier run as their own processes (SQLite stores, as in the all-in-one mode) on
an embedded nats-server; a local HTTP endpoint plays the webhook consumer. One monthly budget
of 1,000 USD has 1,000 actual-spend thresholds (1 % … 1,000 %); event *i* raises the running
total of one spend window to *i* % of it, so every event crosses exactly one new threshold and
produces exactly one notification. 1,000 events are published at 100 events/s; each latency is
the time from event *i*'s publish to the arrival of the webhook naming threshold *i*.

Same-run baseline: the median round trip of a bare HTTP POST to the same endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats

from kubeopt_common.bus import ensure_streams
from kubeopt_common.bus.server import EmbeddedNatsServer, free_port
from kubeopt_common.events import SpendUpdated

EVENTS = 1_000
RATE_PER_S = 100.0
AMOUNT_NANO_USD = 1_000 * 10**9
STEP_NANO_USD = AMOUNT_NANO_USD // 100  # 1 % of the budget per event
SECRET = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
TOKEN = "bench"  # noqa: S105 - the API token of throwaway local processes
CLUSTER = "bench"
DRAIN_S = 120.0


class Endpoint:
    """A minimal HTTP/1.1 server that notes when each threshold's webhook arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[int, float] = {}
        self.done = asyncio.Event()
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readline()
                if not request:
                    return
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                arrived = time.perf_counter()
                self._note(body, arrived)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            # Shutdown with a keep-alive connection still open: nothing is left to answer.
            return
        finally:
            writer.close()

    def _note(self, body: bytes, arrived: float) -> None:
        if not body:
            return
        for notification in json.loads(body).get("notifications", []):
            pct = int(notification["labels"].get("threshold_pct", 0))
            self.arrivals.setdefault(pct, arrived)
        if len(self.arrivals) >= EVENTS:
            self.done.set()


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
    raise TimeoutError(f"{url} not ready")


async def _start(module: str, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
        )


def _env(workdir: Path, service: str, nats_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,  # noqa: TID251 - the child inherits PATH etc.
        "KUBEOPT_NATS__URL": nats_url,
        "KUBEOPT_API__PORT": str(port),
        "KUBEOPT_API__TOKEN": TOKEN,
        "KUBEOPT_DATABASE__URL": f"sqlite+aiosqlite:///{workdir / f'{service}.db'}",
        "KUBEOPT_TELEMETRY__LOG_LEVEL": "WARNING",
    }


async def _create_budget(url: str) -> None:
    body = {
        "name": "bench",
        "scope": {"clusters": [CLUSTER]},
        "period": {"kind": "monthly"},
        "time_zone": "UTC",
        "amount": str(AMOUNT_NANO_USD // 10**9),
        "thresholds": [{"pct": pct} for pct in range(1, EVENTS + 1)],
    }
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{url}/v1/budgets", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    response.raise_for_status()


def _events() -> list[SpendUpdated]:
    """Running totals of one window (the current hour), 1 % of the budget higher each."""
    window = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return [
        SpendUpdated.create(
            cluster=CLUSTER,
            producer="bench",
            namespace="shop",
            window_start=window,
            window_end=window.replace(minute=59),
            cost_nano_usd=STEP_NANO_USD * i,
        )
        for i in range(1, EVENTS + 1)
    ]


async def _publish_paced(nats_url: str, events: list[SpendUpdated]) -> list[float]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    sent: list[float] = []
    start = time.perf_counter()
    for i, event in enumerate(events):
        delay = start + i / RATE_PER_S - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(time.perf_counter())
        await js.publish(
            event.subject,
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.msg_id},
        )
    await nc.drain()
    return sent


async def _baseline_post_ms(url: str, count: int = 200) -> float:
    samples = []
    async with httpx.AsyncClient() as client:
        for _ in range(count):
            started = time.perf_counter()
            await client.post(url, content=b"", headers={"Content-Type": "application/json"})
            samples.append((time.perf_counter() - started) * 1000)
    return _percentile(samples, 50)


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


async def _with_services(
    workdir: Path, nats_url: str, endpoint_url: str, body: Callable[[str], Awaitable[None]]
) -> None:
    ports = {"budgets": free_port(), "notifier": free_port()}
    channels = [
        {"name": "bench", "type": "webhook", "params": {"url": endpoint_url, "secret": SECRET}}
    ]
    envs = {s: _env(workdir, s, nats_url, p) for s, p in ports.items()}
    envs["notifier"]["KUBEOPT_CHANNELS"] = json.dumps(channels)
    processes = [
        await _start(f"kubeopt_{s}", envs[s], workdir / f"{s}.log") for s in ("budgets", "notifier")
    ]
    try:
        for port in ports.values():
            await _wait_ready(f"http://127.0.0.1:{port}")
        await body(f"http://127.0.0.1:{ports['budgets']}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=30)


async def run() -> dict[str, Any]:
    endpoint = Endpoint()
    server = await asyncio.start_server(endpoint.handle, "127.0.0.1", 0)
    endpoint.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks/bench"
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kubeopt-bench-") as tmp:
        workdir = Path(tmp)
        with EmbeddedNatsServer(workdir / "nats") as nats_server:
            nc = await nats.connect(nats_server.url)
            await ensure_streams(nc.jetstream())
            await nc.drain()

            async def measure(budgets_url: str) -> None:
                await _create_budget(budgets_url)
                sent = await _publish_paced(nats_server.url, _events())
                # A lost notification shows as notified < events, not as a hang.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(endpoint.done.wait(), timeout=DRAIN_S)
                result["sent"] = sent

            await _with_services(workdir, nats_server.url, endpoint.url, measure)
        baseline = await _baseline_post_ms(endpoint.url)
    server.close()
    sent: list[float] = result["sent"]
    latencies = [
        (endpoint.arrivals[i + 1] - t) * 1000
        for i, t in enumerate(sent)
        if i + 1 in endpoint.arrivals
    ]
    return {
        "p50_ms": round(_percentile(latencies, 50), 1),
        "p99_ms": round(_percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "events": len(sent),
        "notified": len(latencies),
        "rate_per_s": round((len(sent) - 1) / (sent[-1] - sent[0]), 1),
        "target_rate_per_s": RATE_PER_S,
        "baseline_http_post_p50_ms": round(baseline, 2),
        "cpu_count": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
