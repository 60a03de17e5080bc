"""``kubeopt recommendations`` and ``kubeopt model`` against a running recommender.

The service runs on this test's event loop; the (synchronous) CLI runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from ruamel.yaml import YAML
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from kubeopt_cli import model as model_cli
from kubeopt_cli.recommendations import app as recommendations_app
from kubeopt_cli.simlab import Mix, outcome_rows
from kubeopt_common.bus.server import free_port
from kubeopt_common.runtime import ServiceRuntime, run_service
from kubeopt_common.settings import ApiSettings
from kubeopt_recommender.app import build
from kubeopt_recommender.carbon_catalog import load_catalog
from tests.recommender.conftest import (  # noqa: F401 - fixtures used by name
    API_TOKEN,
    costing,
    lab_settings,
    pg_sessions,
    recommender_pg_url,
)
from tests.recommender.fake_costing import FakeCosting
from tests.recommender.test_runs import seed

runner = CliRunner()
# The service logs to stdout on the same process; its lines are not the command's output.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")
TINY = Mix("tiny", {"leak": 2, "spiky": 1, "constant": 1}, 16)


@pytest.fixture
async def served(
    nats_url: str,
    recommender_pg_url: str,  # noqa: F811 - the imported fixture, by name
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[str]:
    """The recommender listening on a real port; returns its URL (token in KUBEOPT_TOKEN)."""
    port = free_port()
    settings = lab_settings(nats_url=nats_url, db_url=recommender_pg_url)
    settings = settings.model_copy(
        update={"api": ApiSettings(host="127.0.0.1", port=port, token=settings.api.token)}
    )
    runtime: ServiceRuntime = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(runtime, stop=stop))
    await asyncio.wait(
        [task, asyncio.create_task(runtime.started.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    monkeypatch.setenv("KUBEOPT_TOKEN", API_TOKEN)
    yield f"http://127.0.0.1:{port}"
    stop.set()
    await task


@dataclass(frozen=True)
class Ran:
    exit_code: int
    stdout: str
    stderr: str
    output: str


async def cli(app: typer.Typer, url: str, data_dir: Path, *args: str) -> Ran:
    command = [*args, "--url", url, "--data-dir", str(data_dir)]
    result = await asyncio.to_thread(runner.invoke, app, command)
    stdout = "".join(
        line for line in result.stdout.splitlines(keepends=True) if not LOG_LINE.match(line)
    )
    return Ran(result.exit_code, stdout, result.stderr, result.output)


async def seeded_run(
    url: str, sessions: async_sessionmaker[AsyncSession], cluster: str, data_dir: Path
) -> None:
    """History and inventory in the store, then ``kubeopt recommendations run`` over them."""
    await seed(sessions, cluster)
    ran = await cli(recommendations_app, url, data_dir, "run", "--cluster", cluster, "-o", "json")
    assert ran.exit_code == 0, ran.output
    run = json.loads(ran.stdout)
    assert run["state"] == "completed"
    assert run["stats"]["skipped"]["insufficient_history"] == 1
    table = await cli(recommendations_app, url, data_dir, "run", "--cluster", cluster)
    assert "no recommendation (insufficient_history): 1" in table.stdout


async def test_list_show_decide_and_export(
    served: str,
    pg_sessions: async_sessionmaker[AsyncSession],  # noqa: F811
    costing: FakeCosting,  # noqa: F811
    tmp_path: Path,
    unique: str,
) -> None:
    cluster = f"cli-{unique}"
    await seeded_run(served, pg_sessions, cluster, tmp_path)

    listed = await cli(
        recommendations_app, served, tmp_path, "list", "--cluster", cluster, "-o", "json"
    )
    assert listed.exit_code == 0, listed.output
    items = {(i["workload"], i["kind"]): i for i in json.loads(listed.stdout)["items"]}
    cart = items[("cart", "rightsizing")]
    table = await cli(recommendations_app, served, tmp_path, "list", "--cluster", cluster)
    assert cart["id"] in table.stdout
    as_yaml = await cli(
        recommendations_app, served, tmp_path, "list", "--cluster", cluster, "-o", "yaml"
    )
    assert YAML(typ="safe").load(as_yaml.stdout)["total"] == len(items)

    shown = await cli(recommendations_app, served, tmp_path, "show", cart["id"])
    assert "kubectl patch deployment cart -n shop --type strategic" in shown.stdout
    assert "history" in shown.stdout

    approved = await cli(
        recommendations_app,
        served,
        tmp_path,
        "approve",
        cart["id"],
        "--comment",
        "ship it",
        "--actor",
        "carol",
    )
    assert approved.exit_code == 0
    assert f"{cart['id']} is now approved" in approved.stdout
    spot = items[("cart", "spot")]
    await cli(recommendations_app, served, tmp_path, "reject", spot["id"])
    again = await cli(recommendations_app, served, tmp_path, "approve", spot["id"])
    assert again.exit_code == 2
    assert f"409: recommendation {spot['id']} is rejected" in again.stderr

    exported = await cli(recommendations_app, served, tmp_path, "export", "--cluster", cluster)
    assert exported.exit_code == 0, exported.output
    docs = list(YAML(typ="safe").load_all(io.StringIO(exported.stdout)))
    assert exported.stdout.startswith("# kubectl patch ")
    assert f"{cart['id']}" in exported.stdout
    assert f"{spot['id']}" not in exported.stdout  # rejected: not exported
    cart_doc = next(
        d
        for d in docs
        if "template" in d.get("spec", {})
        and d["spec"]["template"]["spec"]["containers"][0]["name"] == "app"
    )
    assert "requests" in cart_doc["spec"]["template"]["spec"]["containers"][0]["resources"]

    out_dir = tmp_path / "patches"
    written = await cli(
        recommendations_app, served, tmp_path, "export", "--cluster", cluster, "--dir", str(out_dir)
    )
    files = sorted(p.name for p in out_dir.iterdir())
    assert f"{cluster}.shop.deployment.cart.yaml" in files
    assert written.stdout.count("kubectl patch") == len(files)


async def test_show_unknown_and_unreachable(served: str, tmp_path: Path) -> None:
    missing = await cli(recommendations_app, served, tmp_path, "show", "rec-nothing")
    assert missing.exit_code == 2
    assert "404" in missing.stderr
    down = await cli(recommendations_app, "http://127.0.0.1:1", tmp_path, "list")
    assert down.exit_code == 1
    assert "cannot reach" in down.stderr


def test_simulated_outcomes_label_recommendations() -> None:
    rows = outcome_rows(5, TINY, history_days=(1, 2), forward_days=1, catalog=load_catalog())
    assert len(rows) > 10
    assert {r.source for r in rows} == {"sim:tiny:5"}
    assert all(set(r.features) >= {"history_days", "memory_trend_per_day"} for r in rows)
    assert any(r.label == 0 for r in rows)  # leaks OOM after the change
    assert any(r.label == 1 for r in rows)
    again = outcome_rows(5, TINY, history_days=(1, 2), forward_days=1, catalog=load_catalog())
    assert [r.label for r in again] == [r.label for r in rows]  # deterministic in the seed


async def test_model_train_and_evaluate(
    served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_cli, "TRAINING_MIXES", (TINY,))
    trained = await cli(
        model_cli.app,
        served,
        tmp_path,
        "train",
        "--seeds",
        "5,6",
        "--no-recorded",
        "--no-activate",
        "-o",
        "json",
    )
    assert trained.exit_code == 0, trained.output
    model = json.loads(trained.stdout)
    assert model["active"] is False
    assert model["training"] == {
        "sim:tiny:5": pytest.approx(model["training"]["sim:tiny:5"]),
        "sim:tiny:6": pytest.approx(model["training"]["sim:tiny:6"]),
    }
    bad = await cli(model_cli.app, served, tmp_path, "train", "--seeds", "x")
    assert bad.exit_code == 2
    assert "--seeds" in bad.stderr
    nothing = await cli(model_cli.app, served, tmp_path, "train", "--no-bootstrap", "--no-recorded")
    assert nothing.exit_code == 2
    assert "at least 50 rows" in nothing.stderr
