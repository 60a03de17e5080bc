"""``kubeopt model train|evaluate``: the recommender's confidence model.

``train`` bootstraps outcomes from the simulator (fleets replayed, recommendations applied,
simulated forward 7 days: did the container OOM or throttle?) and asks the recommender to train
on them plus the outcomes it has recorded; ``evaluate`` scores the active model (or the history
fallback) on a held-out simulated fleet and the recorded outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kubeopt_cli.recommendations import (
    DataDirOption,
    Format,
    OutputOption,
    UrlOption,
    call,
    dump,
    endpoint,
    fail,
)
from kubeopt_cli.simlab import HELD_OUT_MIX, TRAINING_MIXES, bootstrap_rows, outcome_rows
from kubeopt_recommender.carbon_catalog import load_catalog
from kubeopt_recommender.confidence import TrainingRow

EXIT_BAD_INPUT = 2
HISTORY_STEPS = 4
"""History lengths simulated per fleet (1, 2, 4 and 8 days): progress steps per fleet."""
app = typer.Typer(
    name="model",
    no_args_is_help=True,
    help="The confidence model of the recommender: train it, evaluate it.",
)
console = Console(stderr=True)


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        fail(f"--seeds: {text!r} is not a comma-separated list of integers", EXIT_BAD_INPUT)
    if not seeds or any(s < 0 for s in seeds):
        fail("--seeds: give at least one non-negative integer", EXIT_BAD_INPUT)
    return seeds


def _rows_json(rows: list[TrainingRow]) -> list[dict[str, Any]]:
    return [{"features": dict(r.features), "label": r.label, "source": r.source} for r in rows]


def _metrics_table(title: str, metrics: dict[str, Any]) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, f"{value}")
    return table


def _simulate(
    total: int, work: Callable[[Callable[[str], None]], list[TrainingRow]]
) -> list[TrainingRow]:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("simulating outcomes", total=total)

        def step(what: str) -> None:
            progress.update(task, advance=1, description=what)

        rows = work(step)
    return rows


@app.command()
def train(
    seeds: Annotated[
        str, typer.Option(help="Simulated fleets to bootstrap from (seeds).")
    ] = "11,12",
    bootstrap: Annotated[
        bool, typer.Option("--bootstrap/--no-bootstrap", help="Simulate outcomes to train on.")
    ] = True,
    recorded: Annotated[
        bool, typer.Option("--recorded/--no-recorded", help="Also train on recorded outcomes.")
    ] = True,
    calibration: Annotated[
        str | None, typer.Option(help="isotonic or platt (default: by size).")
    ] = None,
    activate: Annotated[
        bool, typer.Option("--activate/--no-activate", help="Use it from the next run on.")
    ] = True,
    output: OutputOption = Format.TABLE,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
) -> None:
    """Train a new model version (stored with its held-out metrics)."""
    if calibration not in (None, "isotonic", "platt"):
        fail(f"--calibration: {calibration!r} is not isotonic or platt", EXIT_BAD_INPUT)
    base = endpoint(data_dir, url)
    rows: list[TrainingRow] = []
    if bootstrap:
        chosen = _seeds(seeds)
        catalog = load_catalog()
        rows = _simulate(
            len(chosen) * len(TRAINING_MIXES) * HISTORY_STEPS,
            lambda step: bootstrap_rows(
                chosen, mixes=TRAINING_MIXES, catalog=catalog, progress=step
            ),
        )
    body = {
        "rows": _rows_json(rows),
        "include_recorded": recorded,
        "calibration": calibration,
        "activate": activate,
    }
    model = call(base, "POST", "/v1/models", body=body, timeout_s=600.0)
    if output is not Format.TABLE:
        dump(model, output)
        return
    state = "active" if model["active"] else "stored (not active)"
    Console().print(_metrics_table(f"model v{model['version']} {state}", model["metrics"]))


@app.command()
def evaluate(
    seed: Annotated[int, typer.Option(help="Held-out simulated fleet (seed).", min=0)] = 9001,
    bootstrap: Annotated[
        bool, typer.Option("--bootstrap/--no-bootstrap", help="Simulate a held-out fleet.")
    ] = True,
    recorded: Annotated[
        bool, typer.Option("--recorded/--no-recorded", help="Include recorded outcomes.")
    ] = True,
    output: OutputOption = Format.TABLE,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
) -> None:
    """AUC and Brier score of the active model against the history-length fallback."""
    base = endpoint(data_dir, url)
    rows: list[TrainingRow] = []
    if bootstrap:
        catalog = load_catalog()
        rows = _simulate(
            HISTORY_STEPS,
            lambda step: outcome_rows(seed, HELD_OUT_MIX, catalog=catalog, progress=step),
        )
    body = {"rows": _rows_json(rows), "include_recorded": recorded}
    result = call(base, "POST", "/v1/models/evaluate", body=body, timeout_s=600.0)
    if output is not Format.TABLE:
        dump(result, output)
        return
    Console().print(_metrics_table(f"scored by {result['scorer']}", result["metrics"]))
