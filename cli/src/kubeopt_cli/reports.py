"""``kubeopt assets`` and ``kubeopt trends``: the costing API's other views."""

from __future__ import annotations

from collections.abc import Sequence
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
    fees = sum((Decimal(c["management_fee"]) for c in answer["clusters"]), Decimal(0))
    title = (
        f"Nodes, {answer['window']['start']} → {answer['window']['end']}: "
        f"${_money(answer['total_cost'])} with ${_money(str(fees))} management fees, "
        f"idle ${_money(answer['total_idle_cost'])}"
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


NETWORK_COLUMNS = (
    ("name", "name"),
    ("gib", "GiB"),
    ("cost", "cost $"),
    ("nat_cost", "NAT $"),
    ("co2e_grams", "gCO2e"),
)
CARBON_COLUMNS = (
    ("name", "name"),
    ("energy_kwh", "kWh"),
    ("co2e_grams", "gCO2e"),
    ("co2e_marginal_grams", "gCO2e marginal"),
    ("cost", "cost $"),
)
ANOMALY_COLUMNS = (
    ("start", "hour"),
    ("cluster", "cluster"),
    ("namespace", "namespace"),
    ("workload", "workload"),
    ("direction", "direction"),
    ("severity", "severity"),
    ("expected_cost", "expected $"),
    ("actual_cost", "actual $"),
    ("score", "score"),
)


def show_view(
    settings: CliSettings,
    *,
    path: str,
    params: list[tuple[str, str]],
    fmt: OutputFormat,
    console: Console,
    title: str,
) -> None:
    """The network, carbon and anomalies views: fetch, flatten, render."""
    url, token = resolve(settings, "costing")
    answer = get_json(url, token, path, params)
    columns: Sequence[tuple[str, str]]
    if path == "/v1/network":
        rows, columns = answer["items"], NETWORK_COLUMNS
        display = [
            {
                **r,
                "gib": f"{r['gib']:,.2f}",
                "cost": _money(r["cost"]),
                "nat_cost": _money(r["nat_cost"]),
                "co2e_grams": f"{r['co2e_grams']:,.1f}",
            }
            for r in rows
        ]
    elif path == "/v1/carbon":
        rows, columns = answer["items"], CARBON_COLUMNS
        display = [
            {
                **r,
                "energy_kwh": f"{r['energy_kwh']:,.3f}",
                "co2e_grams": f"{r['co2e_grams']:,.1f}",
                "co2e_marginal_grams": f"{r['co2e_marginal_grams']:,.1f}",
                "cost": _money(r["cost"]),
            }
            for r in rows
        ]
    else:
        rows = [{**a, "start": a["window"]["start"]} for a in answer["anomalies"]]
        columns = ANOMALY_COLUMNS
        display = [
            {
                **r,
                "expected_cost": _money(r["expected_cost"]),
                "actual_cost": _money(r["actual_cost"]),
                "score": f"{r['score']:.1f}",
            }
            for r in rows
        ]
    if fmt is OutputFormat.TABLE:
        render(display, columns=columns, fmt=fmt, console=console, title=title)
    else:
        render(rows, columns=columns, fmt=fmt, console=console, raw=answer)
