"""``kubeopt budgets create|list|status``: namespace budgets through the budgets API."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console

from kubeopt_cli.client import ApiError, get_json, resolve
from kubeopt_cli.output import OutputFormat, render
from kubeopt_cli.settings import CliSettings

EXIT_BAD_INPUT = 2
NANO_PER_USD = Decimal(10**9)
app = typer.Typer(
    name="budgets",
    no_args_is_help=True,
    help="Budgets per cluster, namespace or namespace labels, with alerts on actual and forecast.",
)
console = Console()

LIST_COLUMNS = (
    ("name", "name"),
    ("scope", "scope"),
    ("period", "period"),
    ("time_zone", "time zone"),
    ("amount", "amount $"),
    ("thresholds", "thresholds"),
)
STATUS_COLUMNS = (
    ("name", "period"),
    ("start", "start"),
    ("end", "end"),
    ("spend", "spend $"),
    ("pct", "% of amount"),
    ("forecast", "forecast $"),
    ("remaining", "remaining $"),
    ("crossed", "crossed"),
)
DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="State directory of the all-in-one mode.")
]
OutputOption = Annotated[OutputFormat, typer.Option("--output", "-o", help="table, json or csv.")]


def _fail(message: str, code: int = 1) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


def _api(data_dir: Path | None) -> tuple[str, str]:
    try:
        settings = CliSettings()
    except ValueError as err:
        _fail(str(err).splitlines()[0], EXIT_BAD_INPUT)
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    try:
        return resolve(settings, "budgets")
    except ApiError as err:
        _fail(str(err))


def _api_failed(err: ApiError) -> NoReturn:
    bad_input = str(err).startswith(("400", "404", "409", "422"))
    _fail(str(err), EXIT_BAD_INPUT if bad_input else 1)


def post_json(url: str, token: str, path: str, body: dict[str, Any]) -> Any:
    """POST ``body``; a problem answer becomes :class:`ApiError` naming the invalid fields."""
    try:
        response = httpx.post(
            f"{url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60.0
        )
    except httpx.TransportError as err:
        raise ApiError(f"cannot reach {url}: {err}") from err
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail") or response.json().get("title")
        except ValueError:
            detail = response.text[:200]
        raise ApiError(f"{response.status_code}: {detail}")
    return response.json()


def _usd(nano_usd: int) -> str:
    return f"{Decimal(nano_usd) / NANO_PER_USD:,.2f}"


def _thresholds(budget: dict[str, Any]) -> str:
    return " ".join(
        f"{t['pct']}%" + ("" if t["basis"] == "actual" else "(fc)") for t in budget["thresholds"]
    )


def _scope(scope: dict[str, Any]) -> str:
    parts = [f"cluster={','.join(scope['clusters'])}"] if scope["clusters"] else []
    parts += [f"ns={','.join(scope['namespaces'])}"] if scope["namespaces"] else []
    parts += [f"labels({scope['namespace_selector']})"] if scope["namespace_selector"] else []
    return " ".join(parts)


def parse_thresholds(actual: list[int], forecast: list[int]) -> list[dict[str, Any]]:
    return [{"pct": p, "basis": "actual"} for p in actual] + [
        {"pct": p, "basis": "forecast"} for p in forecast
    ]


def parse_labels(pairs: list[str]) -> dict[str, str]:
    labels = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(f"--label {pair!r}: use KEY=VALUE", EXIT_BAD_INPUT)
        labels[key] = value
    return labels


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="Unique budget name.")],
    amount: Annotated[str, typer.Option(help="USD per period, e.g. 1000 or 12.50.")],
    cluster: Annotated[
        list[str] | None, typer.Option(help="Cluster name or pattern (repeatable).")
    ] = None,
    namespace: Annotated[
        list[str] | None, typer.Option(help="Namespace name or pattern (repeatable).")
    ] = None,
    selector: Annotated[str, typer.Option(help="Namespace label selector, e.g. 'team=shop'.")] = "",
    period: Annotated[str, typer.Option(help="daily, weekly, monthly or custom.")] = "monthly",
    start: Annotated[str | None, typer.Option(help="custom: first day (YYYY-MM-DD).")] = None,
    length_days: Annotated[int | None, typer.Option(help="custom: days per period.")] = None,
    tz: Annotated[str, typer.Option("--tz", help="IANA time zone, e.g. Europe/Berlin.")] = "UTC",
    threshold: Annotated[
        list[int] | None, typer.Option(help="% of spend to date (repeatable).")
    ] = None,
    forecast_threshold: Annotated[
        list[int] | None, typer.Option(help="% of forecast (repeatable).")
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE for alert routing (repeatable).")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
    data_dir: DataDirOption = None,
) -> None:
    """Create a budget. Without thresholds: 50, 80, 100 % actual and 100 % forecast."""
    body: dict[str, Any] = {
        "name": name,
        "amount": amount,
        "scope": {
            "clusters": cluster or [],
            "namespaces": namespace or [],
            "namespace_selector": selector,
        },
        "period": {"kind": period, "start": start, "length_days": length_days},
        "time_zone": tz,
        "labels": parse_labels(label or []),
    }
    if threshold or forecast_threshold:
        body["thresholds"] = parse_thresholds(threshold or [], forecast_threshold or [])
    url, token = _api(data_dir)
    try:
        created = post_json(url, token, "/v1/budgets", body)
    except ApiError as err:
        _api_failed(err)
    _show_budgets([created], output, raw=created)


def _show_budgets(budgets: list[dict[str, Any]], fmt: OutputFormat, *, raw: Any) -> None:
    rows = [
        {
            "name": b["name"],
            "scope": _scope(b["scope"]),
            "period": b["period"]["kind"],
            "time_zone": b["time_zone"],
            "amount": _usd(b["amount_nano_usd"]),
            "thresholds": _thresholds(b),
        }
        for b in budgets
    ]
    render(rows, columns=LIST_COLUMNS, fmt=fmt, console=console, raw=raw, title="Budgets")


@app.command("list")
def list_budgets(output: OutputOption = OutputFormat.TABLE, data_dir: DataDirOption = None) -> None:
    """Every budget."""
    url, token = _api(data_dir)
    try:
        answer = get_json(url, token, "/v1/budgets", [])
    except ApiError as err:
        _api_failed(err)
    _show_budgets(answer["budgets"], output, raw=answer)


def status_rows(status: dict[str, Any]) -> list[dict[str, Any]]:
    """The current period, then each past one, as table rows."""
    amount = status["budget"]["amount_nano_usd"]

    def crossed(crossings: list[dict[str, Any]]) -> str:
        return " ".join(
            f"{c['threshold_pct']}%" + ("" if c["basis"] == "actual" else "(fc)") for c in crossings
        )

    rows = [
        {
            "name": "current",
            "start": status["period_start"],
            "end": status["period_end"],
            "spend": _usd(status["spend_to_date_nano_usd"]),
            "pct": f"{status['pct_of_amount']:.1f}",
            "forecast": _usd(status["forecast_nano_usd"]),
            "remaining": _usd(status["remaining_nano_usd"]),
            "crossed": crossed(status["crossings"]),
        }
    ]
    rows += [
        {
            "name": f"-{i}",
            "start": p["start"],
            "end": p["end"],
            "spend": _usd(p["spend_nano_usd"]),
            "pct": f"{p['pct_of_amount']:.1f}",
            "forecast": "",
            "remaining": _usd(amount - p["spend_nano_usd"]),
            "crossed": crossed(p["crossings"]),
        }
        for i, p in enumerate(status["history"], start=1)
    ]
    return rows


@app.command()
def status(
    budget: Annotated[str, typer.Argument(help="Budget name or id.")],
    history: Annotated[int, typer.Option(help="Past periods to show.")] = 6,
    output: OutputOption = OutputFormat.TABLE,
    data_dir: DataDirOption = None,
) -> None:
    """Spend to date, forecast, remaining, burn rate and thresholds crossed, with past periods."""
    url, token = _api(data_dir)
    try:
        answer = get_json(url, token, f"/v1/budgets/{budget}/status", [("history", str(history))])
    except ApiError as err:
        _api_failed(err)
    rate = _usd(answer["burn_rate_nano_usd_per_day"])
    title = (
        f"Budget {answer['budget']['name']}: {_usd(answer['budget']['amount_nano_usd'])} USD per "
        f"{answer['budget']['period']['kind']} period ({answer['budget']['time_zone']}), "
        f"burn {rate}/day, forecast by {answer['forecast_method']}"
    )
    render(
        status_rows(answer),
        columns=STATUS_COLUMNS,
        fmt=output,
        console=console,
        raw=answer,
        title=title,
    )
