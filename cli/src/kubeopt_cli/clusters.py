"""``kubeopt clusters add|list|status|remove``: the collector's cluster registry.

Credentials are never passed on the command line: a source names them by secret reference
(``env:VARIABLE`` or ``file:/path``), which the collector resolves where it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from kubeopt_cli.client import ApiError, get_json, resolve
from kubeopt_cli.output import OutputFormat, render
from kubeopt_cli.settings import CliSettings

app = typer.Typer(
    name="clusters",
    no_args_is_help=True,
    help="Register the clusters the collector serves, and see how their sources are doing.",
)
console = Console()

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="State directory of the all-in-one mode.")
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", envvar="KUBEOPT_COLLECTOR_URL", help="Collector API (default: `kubeopt up`'s)."
    ),
]
OutputOption = Annotated[OutputFormat, typer.Option("--output", "-o", help="table, json or csv.")]
LIST_COLUMNS = (
    ("name", "name"),
    ("provider", "provider"),
    ("region", "region"),
    ("sources", "sources"),
    ("status", "status"),
    ("last_seen_at", "last seen"),
)
STATUS_COLUMNS = (
    ("kind", "source"),
    ("state", "state"),
    ("last_seen_at", "last seen"),
    ("messages_published", "published"),
    ("input_skipped", "skipped"),
    ("next_retry_at", "next retry"),
    ("last_error", "last error"),
)


def _fail(message: str, code: int = 1) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


def _endpoint(data_dir: Path | None, url: str | None) -> tuple[str, str]:
    try:
        settings = CliSettings()
    except ValueError as err:
        _fail(str(err).splitlines()[0], 2)
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    try:
        found_url, token = resolve(settings, "collector")
    except ApiError as err:
        if url is None or settings.token is None:
            _fail(str(err))
        return url, settings.token.get_secret_value()
    return url or found_url, token


def _send(method: str, url: str, token: str, path: str, body: Any = None) -> Any:
    try:
        response = httpx.request(
            method,
            f"{url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60.0,
        )
    except httpx.TransportError as err:
        _fail(f"cannot reach {url}: {err}")
    if response.status_code >= 400:
        try:
            problem = response.json()
            detail = problem.get("detail") or problem.get("title")
        except ValueError:
            detail = response.text[:200]
        _fail(f"{response.status_code}: {detail}", 2 if response.status_code in (409, 422) else 1)
    return response.json() if response.content else None


def _source_flags(
    *,
    kubeconfig: Path | None,
    context: str | None,
    in_cluster: bool,
    prometheus: str | None,
    prometheus_token: str | None,
    backfill_days: float,
    metrics_server: bool,
    flows: Path | None,
    flows_format: str,
) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = []
    if kubeconfig is not None:
        kube: dict[str, Any] = {"kind": "kubernetes", "connection": "kubeconfig"}
        kube["kubeconfig"] = str(kubeconfig.resolve())
        if context:
            kube["context"] = context
        sources.append(kube)
    elif in_cluster:
        sources.append({"kind": "kubernetes", "connection": "in_cluster"})
    if prometheus:
        prom: dict[str, Any] = {"kind": "prometheus", "url": prometheus}
        prom["backfill_days"] = backfill_days
        if prometheus_token:
            prom |= {"auth": "bearer", "bearer_token": prometheus_token}
        sources.append(prom)
    if metrics_server:
        sources.append({"kind": "metrics_server"})
    if flows is not None:
        sources.append({"kind": "flowlogs", "format": flows_format, "path": str(flows.resolve())})
    return sources


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as err:
        _fail(f"{path}: {err}", 2)
    if not isinstance(data, dict):
        _fail(f"{path}: expected one cluster (a mapping with name, provider, region, sources)", 2)
    return data


@app.command()
def add(
    name: Annotated[str | None, typer.Argument(help="Cluster name (in every event).")] = None,
    provider: Annotated[str | None, typer.Option(help="aws, gcp, azure or onprem.")] = None,
    region: Annotated[str | None, typer.Option(help="Cloud region, e.g. us-east-1.")] = None,
    kubeconfig: Annotated[Path | None, typer.Option(help="Inventory via this kubeconfig.")] = None,
    context: Annotated[str | None, typer.Option(help="kubeconfig context.")] = None,
    in_cluster: Annotated[
        bool, typer.Option("--in-cluster", help="Inventory via the collector's service account.")
    ] = False,
    prometheus: Annotated[str | None, typer.Option(help="Usage from this Prometheus URL.")] = None,
    prometheus_token: Annotated[
        str | None, typer.Option(help="Bearer token reference: env:VAR or file:/path.")
    ] = None,
    backfill_days: Annotated[float, typer.Option(help="Prometheus history on first start.")] = 1,
    metrics_server: Annotated[
        bool, typer.Option("--metrics-server", help="Usage from metrics.k8s.io.")
    ] = False,
    flows: Annotated[Path | None, typer.Option(help="Flow log file or directory.")] = None,
    flows_format: Annotated[str, typer.Option(help="hubble or vpc.")] = "vpc",
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="The whole cluster as YAML or JSON.")
    ] = None,
    url: UrlOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Register a cluster; the collector starts its sources at once."""
    body: dict[str, Any] = _read_file(file) if file is not None else {}
    for key, value in (("name", name), ("provider", provider), ("region", region)):
        if value is not None:
            body[key] = value
    extra = _source_flags(
        kubeconfig=kubeconfig,
        context=context,
        in_cluster=in_cluster,
        prometheus=prometheus,
        prometheus_token=prometheus_token,
        backfill_days=backfill_days,
        metrics_server=metrics_server,
        flows=flows,
        flows_format=flows_format,
    )
    body["sources"] = [*body.get("sources", []), *extra]
    missing = [k for k in ("name", "provider", "region") if not body.get(k)]
    if missing or not body["sources"]:
        what = ", ".join(missing) if missing else "a source (--kubeconfig, --prometheus, …)"
        _fail(f"missing {what}", 2)
    base, token = _endpoint(data_dir, url)
    created = _send("POST", base, token, "/v1/clusters", body)
    console.print(f"registered cluster [bold]{created['name']}[/bold] ({created['id']})")


def _row(cluster: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": cluster["name"],
        "provider": cluster["provider"],
        "region": cluster["region"],
        "sources": ",".join(s["kind"] for s in cluster["sources"]),
        "status": cluster["status"],
        "last_seen_at": cluster["last_seen_at"] or "never",
    }


@app.command("list")
def list_clusters(
    output: OutputOption = OutputFormat.TABLE, url: UrlOption = None, data_dir: DataDirOption = None
) -> None:
    """Registered clusters and their overall status."""
    base, token = _endpoint(data_dir, url)
    answer = _get(base, token, "/v1/clusters")
    rows = [_row(c) for c in answer["clusters"]]
    render(rows, columns=LIST_COLUMNS, fmt=output, console=console, raw=answer, title="Clusters")


@app.command()
def status(
    cluster: Annotated[str, typer.Argument(help="Cluster name or id.")],
    output: OutputOption = OutputFormat.TABLE,
    url: UrlOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Each source of one cluster: state, last contact, last error, next retry."""
    base, token = _endpoint(data_dir, url)
    answer = _get(base, token, f"/v1/clusters/{cluster}")
    rows = [
        {k: ("—" if s.get(k) is None else s[k]) for k, _ in STATUS_COLUMNS}
        for s in answer["source_status"]
    ]
    title = f"{answer['name']} ({answer['provider']} {answer['region']}): {answer['status']}"
    render(rows, columns=STATUS_COLUMNS, fmt=output, console=console, raw=answer, title=title)


@app.command()
def remove(
    cluster: Annotated[str, typer.Argument(help="Cluster name or id.")],
    url: UrlOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Unregister a cluster; its sources stop."""
    base, token = _endpoint(data_dir, url)
    _send("DELETE", base, token, f"/v1/clusters/{cluster}")
    console.print(f"removed cluster [bold]{cluster}[/bold]")


def _get(base: str, token: str, path: str) -> Any:
    try:
        return get_json(base, token, path, [])
    except ApiError as err:
        _fail(str(err))
