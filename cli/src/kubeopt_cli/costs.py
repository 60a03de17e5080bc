"""``kubeopt costs``: attributed spend over a window, grouped."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console

from kubeopt_cli.client import get_json, resolve
from kubeopt_cli.output import OutputFormat, render
from kubeopt_cli.settings import CliSettings

COLUMNS = (
    ("name", "name"),
    ("cpu_cost", "CPU $"),
    ("ram_cost", "RAM $"),
    ("gpu_cost", "GPU $"),
    ("pv_cost", "PV $"),
    ("load_balancer_cost", "LB $"),
    ("network_cost", "network $"),
    ("total_cost", "total $"),
    ("cpu_efficiency", "CPU eff."),
    ("ram_efficiency", "RAM eff."),
)
MONEY = (
    "cpu_cost",
    "ram_cost",
    "gpu_cost",
    "pv_cost",
    "load_balancer_cost",
    "network_cost",
    "total_cost",
)


def _money(value: str) -> str:
    return f"{Decimal(value):,.4f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _display(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": item["name"],
        **{k: _money(item[k]) for k in MONEY},
        "cpu_efficiency": _pct(item["cpu_efficiency"]),
        "ram_efficiency": _pct(item["ram_efficiency"]),
    }


def show_costs(
    settings: CliSettings,
    *,
    window: str,
    by: str,
    clusters: list[str],
    namespaces: list[str],
    idle: bool,
    fmt: OutputFormat,
    console: Console,
) -> None:
    url, token = resolve(settings, "costing")
    params = [("window", window), ("aggregate", by), ("include_idle", str(idle).lower())]
    params += [("cluster", c) for c in clusters] + [("namespace", n) for n in namespaces]
    answer = get_json(url, token, "/v1/allocation", params)
    items: list[dict[str, Any]] = answer["items"]
    if fmt is OutputFormat.CSV:
        render(items, columns=COLUMNS, fmt=fmt, console=console)
        return
    rows = [_display(i) for i in items]
    if items:
        rows.append(_display(answer["total"]))
    start, end = answer["window"]["start"], answer["window"]["end"]
    render(
        rows,
        columns=COLUMNS,
        fmt=fmt,
        console=console,
        raw=answer,
        title=f"Cost by {by}, {start} → {end} ({answer['currency']})",
    )
