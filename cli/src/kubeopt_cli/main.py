"""The ``kubeopt`` command."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from kubeopt_cli.client import ApiError
from kubeopt_cli.output import OutputFormat
from kubeopt_cli.settings import CliSettings
from kubeopt_cli.state import DataDir

EXIT_BAD_INPUT = 2
app = typer.Typer(
    name="kubeopt",
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="KubeOpt AI: what your Kubernetes clusters cost, who spends it, and what to change.",
)
console = Console()


def _sub_apps() -> None:
    """Command groups that live in their own modules."""
    from kubeopt_cli import budgets, clusters, model, recommendations

    app.add_typer(budgets.app, name="budgets")
    app.add_typer(clusters.app, name="clusters")
    app.add_typer(recommendations.app, name="recommendations")
    app.add_typer(model.app, name="model")


_sub_apps()


def _fail(message: str, code: int = 1) -> NoReturn:
    # Plain text on purpose: one line (no wrapping) and no markup parsing of [..] in messages.
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


def _settings() -> CliSettings:
    try:
        return CliSettings()
    except ValueError as err:
        _fail(str(err).splitlines()[0], EXIT_BAD_INPUT)


DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="State directory of the all-in-one mode.")
]


@app.command()
def up(
    scenario: Annotated[
        Path | None, typer.Option(help="Simulator scenario YAML (default: the shipped demo).")
    ] = None,
    service: Annotated[
        str | None,
        typer.Option(
            help="Run ONE service in the foreground (distributed mode), configured by "
            "KUBEOPT_* environment variables."
        ),
    ] = None,
    data_dir: DataDirOption = None,
    host: Annotated[str, typer.Option(help="Interface the APIs listen on.")] = "127.0.0.1",
) -> None:
    """Start KubeOpt AI: everything on this machine, or one service with [bold]--service[/bold]."""
    if service is not None:
        from kubeopt_cli.distributed import run_one

        run_one(service)
        return
    from kubeopt_cli.allinone import run_all_in_one
    from kubeopt_cli.errors import input_error

    settings = _settings()
    data = DataDir(data_dir or settings.data_dir)
    try:
        asyncio.run(
            run_all_in_one(
                data=data,
                scenario_path=scenario,
                host=host,
                console=console,
                base_env=_inherited_env(),
            )
        )
    except Exception as err:
        if (message := input_error(err)) is not None:
            _fail(message, EXIT_BAD_INPUT)
        raise


def _inherited_env() -> dict[str, str]:
    from kubeopt_cli.settings import inherited_environment

    return inherited_environment()


@app.command()
def costs(
    window: Annotated[
        str, typer.Option(help="1h, 24h, 7d, today, lastweek, or 'start,end'.")
    ] = "1h",
    by: Annotated[
        str,
        typer.Option(help="namespace, workload, node, cluster, pod, label:KEY (comma to combine)."),
    ] = "namespace",
    cluster: Annotated[
        list[str] | None, typer.Option(help="Only this cluster (repeatable).")
    ] = None,
    namespace: Annotated[
        list[str] | None, typer.Option(help="Only this namespace (repeatable).")
    ] = None,
    idle: Annotated[bool, typer.Option("--idle/--no-idle", help="Show __idle__ rows.")] = True,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="table, json or csv.")
    ] = OutputFormat.TABLE,
    data_dir: DataDirOption = None,
) -> None:
    """Attributed spend over a window, grouped by namespace, workload, node or label."""
    from kubeopt_cli.costs import show_costs

    settings = _with_data_dir(_settings(), data_dir)
    try:
        show_costs(
            settings,
            window=window,
            by=by,
            clusters=cluster or [],
            namespaces=namespace or [],
            idle=idle,
            fmt=output,
            console=console,
        )
    except ApiError as err:
        _fail(str(err), _api_exit_code(err))


@app.command()
def assets(
    window: Annotated[
        str, typer.Option(help="1h, 24h, 7d, today, lastweek, or 'start,end'.")
    ] = "24h",
    cluster: Annotated[
        list[str] | None, typer.Option(help="Only this cluster (repeatable).")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="table, json or csv.")
    ] = OutputFormat.TABLE,
    data_dir: DataDirOption = None,
) -> None:
    """Nodes: what each cost, how much sat idle, and how it was priced."""
    from kubeopt_cli.reports import show_assets

    settings = _with_data_dir(_settings(), data_dir)
    try:
        show_assets(settings, window=window, clusters=cluster or [], fmt=output, console=console)
    except ApiError as err:
        _fail(str(err), _api_exit_code(err))


@app.command()
def trends(
    window: Annotated[str, typer.Option(help="7d, 30d, lastweek, or 'start,end'.")] = "7d",
    by: Annotated[
        str, typer.Option(help="namespace, workload, cluster, label:KEY …")
    ] = "namespace",
    step: Annotated[str, typer.Option(help="Series step: 1h, 6h, 1d.")] = "1d",
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="table, json or csv.")
    ] = OutputFormat.TABLE,
    data_dir: DataDirOption = None,
) -> None:
    """Cost per group over time, and its change against the previous window."""
    from kubeopt_cli.reports import show_trends

    settings = _with_data_dir(_settings(), data_dir)
    try:
        show_trends(settings, window=window, by=by, step=step, fmt=output, console=console)
    except ApiError as err:
        _fail(str(err), _api_exit_code(err))


@app.command()
def network(
    window: Annotated[str, typer.Option(help="1h, 24h, 7d, or 'start,end'.")] = "24h",
    by: Annotated[str, typer.Option(help="class, source, pair, namespace or cluster.")] = "class",
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="table, json or csv.")
    ] = OutputFormat.TABLE,
    data_dir: DataDirOption = None,
) -> None:
    """Network cost: by class (in-zone, cross-zone, cross-region, internet), sender or pair."""
    _view(
        "/v1/network",
        [("window", window), ("group", by)],
        output,
        data_dir,
        f"Network cost by {by}, {window}",
    )


@app.command()
def carbon(
    window: Annotated[str, typer.Option(help="1h, 24h, 7d, or 'start,end'.")] = "24h",
    by: Annotated[
        str, typer.Option(help="namespace, workload, cluster, node, label:KEY …")
    ] = "namespace",
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="table, json or csv.")
    ] = OutputFormat.TABLE,
    data_dir: DataDirOption = None,
) -> None:
    """Energy and CO2e per group (CCF method; average and marginal grid intensity)."""
    _view(
        "/v1/carbon",
        [("window", window), ("aggregate", by)],
        output,
        data_dir,
        f"Carbon by {by}, {window}",
    )


@app.command()
def anomalies(
    window: Annotated[str, typer.Option(help="24h, 7d, or 'start,end'.")] = "7d",
    severity: Annotated[
        list[str] | None, typer.Option(help="info, warning, critical (repeatable).")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="table, json or csv.")
    ] = OutputFormat.TABLE,
    data_dir: DataDirOption = None,
) -> None:
    """Spend anomalies (seasonal baseline), oldest first."""
    params = [("window", window)] + [("severity", s) for s in severity or []]
    _view("/v1/anomalies", params, output, data_dir, f"Anomalies, {window}")


def _view(
    path: str,
    params: list[tuple[str, str]],
    output: OutputFormat,
    data_dir: Path | None,
    title: str,
) -> None:
    from kubeopt_cli.reports import show_view

    settings = _with_data_dir(_settings(), data_dir)
    try:
        show_view(settings, path=path, params=params, fmt=output, console=console, title=title)
    except ApiError as err:
        _fail(str(err), _api_exit_code(err))


def _with_data_dir(settings: CliSettings, data_dir: Path | None) -> CliSettings:
    return settings if data_dir is None else settings.model_copy(update={"data_dir": data_dir})


def _api_exit_code(err: ApiError) -> int:
    return EXIT_BAD_INPUT if str(err).startswith(("400", "422")) else 1


@app.command()
def simulate(
    backfill: Annotated[str, typer.Option(help="How much history to publish, e.g. 6h or 7d.")],
    scenario: Annotated[
        Path | None, typer.Option(help="Scenario YAML (default: the demo).")
    ] = None,
    nats_url: Annotated[
        str | None, typer.Option(help="NATS URL (default: the running kubeopt up).")
    ] = None,
    pace: Annotated[
        str | None, typer.Option(help="Durable consumer to pace against ('' to publish unpaced).")
    ] = "costing",
    data_dir: DataDirOption = None,
) -> None:
    """Publish a scenario's history to NATS as fast as the pipeline takes it."""
    from kubeopt_cli.durations import parse_duration
    from kubeopt_cli.errors import input_error
    from kubeopt_cli.simulate import run_backfill

    settings = _settings()
    try:
        duration = parse_duration(backfill)
    except ValueError as err:
        _fail(f"--backfill: {err}", EXIT_BAD_INPUT)
    endpoints = DataDir(data_dir or settings.data_dir).read_endpoints() or {}
    url = nats_url or settings.nats_url or endpoints.get("nats_url")
    if not isinstance(url, str):
        _fail("no NATS URL: start `kubeopt up` or pass --nats-url", EXIT_BAD_INPUT)
    try:
        stats = asyncio.run(
            run_backfill(
                scenario_path=scenario,
                nats_url=url,
                duration=duration,
                pace=pace or None,
                console=console,
            )
        )
    except Exception as err:
        if (message := input_error(err)) is not None:
            _fail(message, EXIT_BAD_INPUT)
        raise
    rate = stats.samples / stats.seconds if stats.seconds else 0.0
    console.print(
        f"published {stats.windows} windows, {stats.messages} messages, {stats.samples} samples "
        f"in {stats.seconds:.1f}s ({rate:,.0f} samples/s)"
    )


@app.command()
def version() -> None:
    """Print the installed version."""
    from importlib.metadata import version as dist_version

    console.print(f"kubeopt {dist_version('kubeopt')}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
