"""``kubeopt simulate``: publish a scenario's history (backfill) or live windows to NATS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from kubeopt_collector.publishing import MessagePublisher
from kubeopt_collector.service import BackfillStats, Pacer, backfill
from kubeopt_collector.simulator.scenario import DEMO_SCENARIO, load_scenario
from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_common.bus import ensure_streams


async def run_backfill(
    *,
    scenario_path: Path | None,
    nats_url: str,
    duration: timedelta,
    pace: str | None,
    console: Console,
) -> BackfillStats:
    scenario = load_scenario(scenario_path or DEMO_SCENARIO)
    source = SimulatorSource(scenario)
    step = timedelta(seconds=source.interval_seconds)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    end = epoch + ((datetime.now(UTC) - epoch) // step) * step
    start = end - duration
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        publisher = MessagePublisher(nc)
        pacer = Pacer(js, durable=pace) if pace else None
        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("windows"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(f"backfill {duration}", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            return await backfill(
                source, publisher, start=start, end=end, pacer=pacer, progress=on_progress
            )
    finally:
        await nc.drain()
