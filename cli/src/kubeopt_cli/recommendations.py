"""``kubeopt recommendations list|show|approve|reject|export|run``: the recommender's findings.

``export`` writes kubectl-ready strategic-merge patches: one per workload (every open or approved
change of the workload merged), each preceded by the ``kubectl patch`` command that applies it.
"""

from __future__ import annotations

import getpass
import io
import json
import sys
import time
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from ruamel.yaml import YAML

from kubeopt_cli.client import ApiError, resolve
from kubeopt_cli.settings import CliSettings
from kubeopt_recommender.domain.patches import kubectl_command, merge

EXIT_BAD_INPUT = 2
POLL_S = 0.5
app = typer.Typer(
    name="recommendations",
    no_args_is_help=True,
    help="Rightsizing, spot and carbon-aware recommendations: review, decide, export patches.",
)
console = Console()


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="State directory of the all-in-one mode.")
]
UrlOption = Annotated[
    str | None, typer.Option("--url", help="Recommender API URL (default: the running kubeopt up).")
]
OutputOption = Annotated[Format, typer.Option("--output", "-o", help="table, json or yaml.")]


def fail(message: str, code: int = 1) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


def endpoint(data_dir: Path | None, url: str | None) -> tuple[str, str]:
    """(recommender URL, token) from the flags or the running all-in-one's data directory."""
    try:
        settings = CliSettings()
    except ValueError as err:
        fail(str(err).splitlines()[0], EXIT_BAD_INPUT)
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    try:
        found_url, token = resolve(settings, "recommender")
    except ApiError as err:
        if url is None:
            fail(str(err))
        token = settings.token.get_secret_value() if settings.token else ""
        found_url = url
    return url or found_url, token


def call(
    base: tuple[str, str],
    method: str,
    path: str,
    *,
    params: Sequence[tuple[str, str]] = (),
    body: Any = None,
    timeout_s: float = 60.0,
) -> Any:
    """JSON request to the recommender; a problem answer exits with its status and detail."""
    url, token = base
    try:
        response = httpx.request(
            method,
            f"{url}{path}",
            params=tuple(params),
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
        )
    except httpx.TransportError as err:
        fail(f"cannot reach {url}: {err}")
    if response.status_code >= 400:
        try:
            problem = response.json()
            detail = problem.get("detail") or problem.get("title")
        except ValueError:
            detail = response.text[:200]
        code = EXIT_BAD_INPUT if response.status_code in (400, 404, 409, 422) else 1
        fail(f"{response.status_code}: {detail}", code)
    return response.json()


def dump(data: Any, fmt: Format) -> None:
    if fmt is Format.YAML:
        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        buffer = io.StringIO()
        yaml.dump(data, buffer)
        sys.stdout.write(buffer.getvalue())
    else:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _target(item: dict[str, Any]) -> str:
    parts = [item["namespace"], item["workload"]] + (
        [item["container"]] if item["container"] else []
    )
    return "/".join(parts)


def _money(value: str | float) -> str:
    return f"{float(value):,.2f}"


@app.command("list")
def list_recommendations(
    cluster: Annotated[str | None, typer.Option(help="Only this cluster.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Only this namespace.")] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="rightsizing, spot, carbon_shift, carbon_region (repeatable)."),
    ] = None,
    state: Annotated[list[str] | None, typer.Option(help="open, approved, … (repeatable).")] = None,
    sort: Annotated[str, typer.Option(help="savings, confidence, created or updated.")] = "savings",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    output: OutputOption = Format.TABLE,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
) -> None:
    """Recommendations, biggest savings first (filter by scope, kind and state)."""
    params = [("sort", sort), ("limit", str(limit))]
    params += [(k, v) for k, v in (("cluster", cluster), ("namespace", namespace)) if v]
    params += [("kind", k) for k in kind or []] + [("state", s) for s in state or []]
    answer = call(endpoint(data_dir, url), "GET", "/v1/recommendations", params=params)
    if output is not Format.TABLE:
        dump(answer, output)
        return
    table = Table(title=f"{answer['total']} recommendation(s)")
    table.add_column("id", no_wrap=True)  # ids are what `show`/`approve` take: never cut
    for heading in ("kind", "state", "target"):
        table.add_column(heading, overflow="fold")
    for heading in ("$/month", "kgCO2e/month", "confidence"):
        table.add_column(heading, justify="right")
    for item in answer["items"]:
        table.add_row(
            item["id"],
            item["kind"],
            item["state"],
            _target(item),
            _money(item["monthly_savings"]),
            f"{item['co2e_grams_per_month'] / 1000:,.2f}",
            f"{item['confidence']:.2f}",
        )
    console.print(table)


@app.command()
def show(
    recommendation_id: Annotated[str, typer.Argument(help="e.g. rec-3f9a0c1b2d4e")],
    output: OutputOption = Format.TABLE,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
) -> None:
    """One recommendation: values, reasons, history and its patch."""
    item = call(endpoint(data_dir, url), "GET", f"/v1/recommendations/{recommendation_id}")
    if output is not Format.TABLE:
        dump(item, output)
        return
    console.print(f"[bold]{item['id']}[/bold] {item['kind']} [{item['state']}] {_target(item)}")
    console.print(item["summary"], markup=False)
    console.print(
        f"savings ${_money(item['monthly_savings'])}/month ({item['price_status']}), "
        f"{item['co2e_grams_per_month'] / 1000:,.2f} kgCO2e/month, confidence "
        f"{item['confidence']:.2f} ({item['confidence_source']})",
        markup=False,
    )
    for reason in item["reasons"]:
        console.print(f"  - {reason}", markup=False)
    history = Table(title="history")
    for heading in ("at", "from", "to", "actor", "comment"):
        history.add_column(heading)
    for t in item.get("history") or []:
        history.add_row(t["at"], t["from_state"] or "", t["to_state"], t["actor"], t["comment"])
    console.print(history)
    if item.get("patch"):
        console.print(f"# {item['patch']['command']}", markup=False)
        dump(item["patch"]["patch"], Format.YAML)


def _decide(
    action: str,
    recommendation_id: str,
    comment: str,
    actor: str | None,
    data_dir: Path | None,
    url: str | None,
    output: Format,
) -> None:
    body = {"actor": actor or f"cli:{getpass.getuser()}", "comment": comment}
    path = f"/v1/recommendations/{recommendation_id}/{action}"
    item = call(endpoint(data_dir, url), "POST", path, body=body)
    if output is not Format.TABLE:
        dump(item, output)
        return
    console.print(f"{item['id']} is now {item['state']}", markup=False)


CommentOption = Annotated[str, typer.Option(help="Why (kept in the history).")]
ActorOption = Annotated[str | None, typer.Option(help="Who decides (default cli:<user>).")]


@app.command()
def approve(
    recommendation_id: Annotated[str, typer.Argument(help="e.g. rec-3f9a0c1b2d4e")],
    comment: CommentOption = "",
    actor: ActorOption = None,
    output: OutputOption = Format.TABLE,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
) -> None:
    """Approve a recommendation."""
    _decide("approve", recommendation_id, comment, actor, data_dir, url, output)


@app.command()
def reject(
    recommendation_id: Annotated[str, typer.Argument(help="e.g. rec-3f9a0c1b2d4e")],
    comment: CommentOption = "",
    actor: ActorOption = None,
    output: OutputOption = Format.TABLE,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
) -> None:
    """Reject a recommendation (a re-run will not make it again for a while)."""
    _decide("reject", recommendation_id, comment, actor, data_dir, url, output)


def workload_patches(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One merged patch per workload, with the command that applies it and the file name."""
    grouped: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for item in items:
        if item.get("patch"):
            key = (item["cluster"], item["namespace"], item["workload_kind"], item["workload"])
            grouped.setdefault(key, []).append(item)
    out = []
    for (cluster, namespace, kind, name), group in sorted(grouped.items()):
        file = f"{cluster}.{namespace}.{kind.lower()}.{name}.yaml"
        out.append(
            {
                "cluster": cluster,
                "namespace": namespace,
                "kind": kind,
                "name": name,
                "file": file,
                "command": kubectl_command(kind, name, namespace, file),
                "recommendations": [i["id"] for i in group],
                "patch": merge(i["patch"]["patch"] for i in group),
            }
        )
    return out


def _yaml_text(patch: dict[str, Any]) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(patch, buffer)
    return buffer.getvalue()


@app.command()
def export(
    cluster: Annotated[str | None, typer.Option(help="Only this cluster.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Only this namespace.")] = None,
    state: Annotated[
        list[str] | None, typer.Option(help="States to export (default open and approved).")
    ] = None,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Write one file per workload here.")
    ] = None,
    output: Annotated[
        Format, typer.Option("--output", "-o", help="yaml (default) or json.")
    ] = Format.YAML,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
) -> None:
    """Strategic-merge patches for ``kubectl patch`` (one per workload)."""
    params = [("limit", "1000")] + [("state", s) for s in state or ["open", "approved"]]
    params += [(k, v) for k, v in (("cluster", cluster), ("namespace", namespace)) if v]
    answer = call(endpoint(data_dir, url), "GET", "/v1/recommendations", params=params)
    patches = workload_patches(answer["items"])
    if output is Format.JSON:
        dump(patches, Format.JSON)
    elif directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for p in patches:
            (directory / p["file"]).write_text(_yaml_text(p["patch"]))
            sys.stdout.write(
                kubectl_command(p["kind"], p["name"], p["namespace"], str(directory / p["file"]))
                + "\n"
            )
    else:
        docs = [
            f"# {p['command']}\n# recommendations: {', '.join(p['recommendations'])}\n"
            + _yaml_text(p["patch"])
            for p in patches
        ]
        sys.stdout.write("---\n".join(docs))


def _follow(base: tuple[str, str], run: dict[str, Any]) -> dict[str, Any]:
    """Poll the run until it ends, with a progress bar on stderr."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True)) as progress:  # fmt: skip
        task = progress.add_task(f"run {run['id']}", total=run["total"] or None)
        while run["state"] in ("pending", "running"):
            time.sleep(POLL_S)
            run = call(base, "GET", f"/v1/runs/{run['id']}")
            progress.update(task, total=run["total"] or None, completed=run["processed"])
    return run


@app.command("run")
def start_run(
    cluster: Annotated[str | None, typer.Option(help="Only this cluster.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Only this namespace.")] = None,
    kind: Annotated[
        list[str] | None, typer.Option(help="What to recommend (repeatable; default all).")
    ] = None,
    policy: Annotated[str | None, typer.Option(help="savings, balanced or reliability.")] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Follow it to the end.")] = True,
    output: OutputOption = Format.TABLE,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
) -> None:
    """Start an optimization run now (runs are also scheduled by the service)."""
    base = endpoint(data_dir, url)
    body: dict[str, Any] = {"cluster": cluster, "namespace": namespace, "policy": policy}
    if kind:
        body["kinds"] = kind
    run = call(base, "POST", "/v1/runs", body=body)
    if wait:
        run = _follow(base, run)
    if output is not Format.TABLE:
        dump(run, output)
        return
    console.print(f"{run['id']}: {run['state']}", markup=False)
    stats = run["stats"]
    for name, count in sorted(stats.get("outcomes", {}).items()):
        console.print(f"  {name}: {count}", markup=False)
    for reason, count in sorted(stats.get("skipped", {}).items()):
        example = stats.get("skip_examples", {}).get(reason, "")
        console.print(f"  no recommendation ({reason}): {count}  e.g. {example}", markup=False)
    if run["state"] == "failed":
        fail(f"run {run['id']} failed: {run['error']}")
