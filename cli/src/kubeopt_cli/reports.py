"""``kubeopt assets`` and ``kubeopt trends``: the costing API's other views."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console

from kubeopt_cli.client import get_json, resolve
from kubeopt_cli.output import OutputFormat, render
from kubeopt_cli.settings import CliSettings

ASSET_COLUMNS = (
    ("cluster", "cluster"),
    ("node", "node"),
    ("instance_type", "type"),
    ("capacity_type", "capacity"),
    ("price_source", "priced by"),
    ("hours", "hours"),
    ("cost", "cost $"),
    ("idle_cost", "idle $"),
    ("idle_pct", "idle %"),
)
TREND_COLUMNS = (
    ("name", "name"),
    ("cost", "cost $"),
    ("previous_cost", "previous $"),
    ("change", "change $"),
    ("change_pct", "change %"),
    ("series", "per step $"),
)


def _money(value: str) -> str:
    return f"{Decimal(value):,.4f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.0%}" if value < 0 else f"{value:.0%}"


def show_assets(
    settings: CliSettings, *, window: str, clusters: list[str], fmt: OutputFormat, console: Console
) -> None:
    url, token = resolve(settings, "costing")
    params = [("window", window)] + [("cluster", c) for c in clusters]
    answer = get_json(url, token, "/v1/assets", params)
    nodes: list[dict[str, Any]] = answer["nodes"]
    if fmt is not OutputFormat.TABLE:
        render(nodes, columns=ASSET_COLUMNS, fmt=fmt, console=console, raw=answer)
        return
    rows = [
        {
            **n,
            "hours": f"{n['hours']:.1f}",
            "cost": _money(n["cost"]),
            "idle_cost": _money(n["idle_cost"]),
            "idle_pct": _pct(n["idle_pct"]),
        }
        for n in nodes
    ]
    title = (
        f"Nodes, {answer['window']['start']} → {answer['window']['end']}: "
        f"${_money(answer['total_cost'])}, idle ${_money(answer['total_idle_cost'])}"
    )
    render(rows, columns=ASSET_COLUMNS, fmt=fmt, console=console, title=title)


def show_trends(
    settings: CliSettings, *, window: str, by: str, step: str, fmt: OutputFormat, console: Console
) -> None:
    url, token = resolve(settings, "costing")
    answer = get_json(
        url, token, "/v1/trends", [("window", window), ("aggregate", by), ("step", step)]
    )
    items: list[dict[str, Any]] = answer["items"]
    if fmt is not OutputFormat.TABLE:
        flat = [{**i, "series": " ".join(i["series"])} for i in items]
        render(flat, columns=TREND_COLUMNS, fmt=fmt, console=console, raw=answer)
        return
    rows = [
        {
            "name": i["name"],
            "cost": _money(i["cost"]),
            "previous_cost": _money(i["previous_cost"]),
            "change": _money(i["change"]),
            "change_pct": _pct(i["change_pct"]),
            "series": " ".join(f"{Decimal(v):.2f}" for v in i["series"]),
        }
        for i in items
    ]
    render(
        rows, columns=TREND_COLUMNS, fmt=fmt, console=console, title=f"Trend by {by}, step {step}"
    )
