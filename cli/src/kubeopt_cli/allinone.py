"""``kubeopt up``: every service on one machine — embedded NATS, chDB, SQLite, the simulator."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from rich.console import Console
from rich.table import Table
from ruamel.yaml import YAML

from kubeopt_budgets.settings import BudgetsSettings
from kubeopt_cli.state import DEFAULT_NATS_PORT, DEFAULT_PORTS, SERVICES, DataDir
from kubeopt_cli.supervisor import Child, stop_all, supervise, wait_ready
from kubeopt_collector.settings import CollectorSettings
from kubeopt_collector.simulator.scenario import DEMO_SCENARIO, Scenario, load_scenario
from kubeopt_common.bus.server import EmbeddedNatsServer, free_port
from kubeopt_common.runtime import load_settings
from kubeopt_costing.settings import CostingSettings
from kubeopt_notifier.settings import NotifierSettings
from kubeopt_recommender.settings import RecommenderSettings

READY_TIMEOUT_S = 120.0


def _port(preferred: int, host: str) -> int:
    import socket

    with socket.socket() as s:
        try:
            s.bind((host, preferred))
        except OSError:
            return free_port(host)
    return preferred


def write_price_overrides(scenario: Scenario, path: Path) -> Path | None:
    """Hand the scenario's pinned prices to costing as a custom price file."""
    if not scenario.prices:
        return None
    overrides = [
        {
            "instance_type": p.instance_type,
            **({"capacity_type": str(p.capacity_type)} if p.capacity_type else {}),
            "hourly_usd": str(p.hourly_usd),
        }
        for p in scenario.prices
    ]
    with path.open("w") as fh:
        YAML(typ="safe").dump(
            {"source": "pinned by the simulator scenario", "overrides": overrides}, fh
        )
    return path


def validate_service_settings() -> None:
    """Each service's settings as its child will read them (the inherited ``KUBEOPT_*``
    variables); raises SettingsError naming the first bad variable."""
    for settings_cls in (
        CollectorSettings,
        CostingSettings,
        RecommenderSettings,
        BudgetsSettings,
        NotifierSettings,
    ):
        load_settings(settings_cls)


def child_env(
    service: str,
    *,
    data: DataDir,
    nats_url: str,
    token: str,
    host: str,
    port: int,
    scenario: Path,
    overrides: Path | None,
    base_env: dict[str, str],
) -> dict[str, str]:
    env = {
        **base_env,
        "KUBEOPT_ENV": "dev",
        "KUBEOPT_NATS__URL": nats_url,
        "KUBEOPT_API__HOST": host,
        "KUBEOPT_API__PORT": str(port),
        "KUBEOPT_API__TOKEN": token,
        "KUBEOPT_TELEMETRY__LOG_FORMAT": "json",
    }
    if service == "costing":
        env["KUBEOPT_CLICKHOUSE__MODE"] = "chdb"
        env["KUBEOPT_CLICKHOUSE__PATH"] = str(data.clickhouse.resolve())
        if overrides is not None:
            env["KUBEOPT_PRICING__OVERRIDES_FILE"] = str(overrides.resolve())
    elif service == "collector":
        env["KUBEOPT_SCENARIO"] = str(scenario.resolve())
        env["KUBEOPT_STATE_DIR"] = str(data.collector_state.resolve())
        env["KUBEOPT_DATABASE__URL"] = data.database_url("collector")
    else:
        env["KUBEOPT_DATABASE__URL"] = data.database_url(service)
    return env


async def run_all_in_one(
    *,
    data: DataDir,
    scenario_path: Path | None,
    host: str,
    console: Console,
    base_env: dict[str, str],
) -> None:
    """Validate, start NATS and every service, print the endpoints, supervise until Ctrl-C."""
    scenario_file = scenario_path or DEMO_SCENARIO
    # Everything the user gave is validated before anything starts: nothing half-started.
    scenario = load_scenario(scenario_file)
    validate_service_settings()
    data.prepare()
    token = data.token()
    overrides = write_price_overrides(scenario, data.price_overrides)
    nats = EmbeddedNatsServer(data.nats, host=host, port=_port(DEFAULT_NATS_PORT, host)).start()
    children: list[Child] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        urls: dict[str, str] = {}
        for service in SERVICES:
            port = _port(DEFAULT_PORTS[service], host)
            urls[service] = f"http://{host}:{port}"
            env = child_env(
                service,
                data=data,
                nats_url=nats.url,
                token=token,
                host=host,
                port=port,
                scenario=scenario_file,
                overrides=overrides,
                base_env=base_env,
            )
            child = Child(service, env, data.logs / f"{service}.log", f"{urls[service]}/readyz")
            child.start()
            children.append(child)
        with console.status("starting services…"):
            await asyncio.gather(*(wait_ready(c, timeout_s=READY_TIMEOUT_S) for c in children))

        def publish_endpoints() -> None:
            data.write_endpoints(nats_url=nats.url, services=urls, pids=_pids(children))

        publish_endpoints()
        _print_endpoints(console, data=data, nats_url=nats.url, urls=urls, token=token)
        await supervise(children, stop, on_restart=publish_endpoints)
    finally:
        console.print("stopping…")
        stop_all(children)
        nats.stop()
        data.endpoints_file.unlink(missing_ok=True)


def _pids(children: list[Child]) -> dict[str, int]:
    return {c.service: c.process.pid for c in children if c.process is not None}


def _print_endpoints(
    console: Console, *, data: DataDir, nats_url: str, urls: dict[str, str], token: str
) -> None:
    table = Table(title="KubeOpt AI is running (Ctrl-C to stop)")
    table.add_column("service")
    table.add_column("API")
    table.add_column("docs")
    for service, url in urls.items():
        table.add_row(service, url, f"{url}/docs")
    console.print(table)
    console.print(f"NATS: {nats_url}   data: {data.root.resolve()}   logs: {data.logs.resolve()}")
    console.print(f"API token (Authorization: Bearer …): [bold]{token}[/bold]")
    console.print("Try: kubeopt costs --window 1h --by namespace")
