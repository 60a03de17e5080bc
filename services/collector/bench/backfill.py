"""Hand-run benchmark of the demo backfill: generate + serialise + publish + JetStream ack.

Starts a local nats-server (``EmbeddedNatsServer``, file storage in a temp dir), creates the
streams, builds the demo source (not timed), then times ``backfill`` over ``--minutes`` windows,
unpaced. The Python process is pinned to one core (``--core``); nats-server keeps the others.
Prints one JSON object: samples/s, messages, bytes per sample (usage payload JSON, and what the
usage stream stored), and with ``--profile FILE`` a cProfile dump of the timed part.

Run it by hand (it is not a test; timings depend on the machine)::

    cd /work/main && .venv/bin/python services/collector/bench/backfill.py --minutes 60
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import nats
from nats.aio.client import Client

from kubeopt_collector.service import backfill
from kubeopt_collector.simulator.scenario import DEMO_SCENARIO, load_scenario
from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_common.bus import EmbeddedNatsServer, EventPublisher, ensure_streams

START = datetime(2025, 1, 6, tzinfo=UTC)
T = TypeVar("T")


async def _inline(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    return func(*args, **kwargs)


def make_publisher(nc: Client) -> Any:
    """The collector's publisher (common's EventPublisher for the collector before it had one)."""
    try:
        from kubeopt_collector.publishing import MessagePublisher
    except ImportError:
        return EventPublisher(nc)
    return MessagePublisher(nc)


def usage_bytes_per_sample(source: SimulatorSource, windows: int) -> float:
    """Mean JSON payload bytes per container sample of usage messages, over a few windows."""
    size = samples = 0
    for minute in range(0, windows, max(1, windows // 5)):
        for event in source.usage_events(START + timedelta(minutes=minute)):
            size += len(event.model_dump_json())
            samples += event.sample_count
    return size / samples


async def run(args: argparse.Namespace) -> dict[str, Any]:
    source = SimulatorSource(load_scenario(DEMO_SCENARIO))
    with (
        tempfile.TemporaryDirectory() as store,
        EmbeddedNatsServer(Path(store)) as server,
    ):
        os.sched_setaffinity(0, {args.core})
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await ensure_streams(js)
        publisher = make_publisher(nc)
        end = START + timedelta(minutes=args.minutes)
        profiler = None
        if args.profile:
            # cProfile sees one thread: run the generation the backfill offloads inline.
            asyncio.to_thread = _inline
            profiler = cProfile.Profile()
        cpu_started = time.process_time()
        if profiler is not None:
            profiler.enable()
        stats = await backfill(source, publisher, start=START, end=end)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        cpu_s = time.process_time() - cpu_started
        stored = await js.stream_info("KUBEOPT_USAGE")
        await nc.drain()
    return {
        "windows": stats.windows,
        "messages": stats.messages,
        "samples": stats.samples,
        "seconds": round(stats.seconds, 3),
        "samples_per_s": round(stats.samples / stats.seconds),
        "python_cpu_s": round(cpu_s, 3),
        "usage_json_bytes_per_sample": round(usage_bytes_per_sample(source, args.minutes), 1),
        "usage_stream_bytes_per_sample": round(stored.state.bytes / stats.samples, 1),
        "usage_messages_stored": stored.state.messages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60, help="windows to backfill")
    parser.add_argument("--core", type=int, default=0, help="CPU core to pin this process to")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile dump here")
    result = asyncio.run(run(parser.parse_args()))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
