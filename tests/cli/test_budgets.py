"""``kubeopt budgets create|list|status`` against a real budgets API (database only)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from kubeopt_budgets.app import build
from kubeopt_cli.budgets import app
from kubeopt_cli.state import DataDir
from kubeopt_common.bus.server import free_port
from kubeopt_common.web.app import serve
from tests.budgets.conftest import API_TOKEN, make_settings

runner = CliRunner()


@pytest.fixture
async def data_dir(pg_url: str, tmp_path: Path) -> AsyncIterator[Path]:
    """A data directory whose endpoints file points at a budgets API served on a real port."""
    runtime = build(make_settings(nats_url="nats://127.0.0.1:1", db_url=pg_url))
    for hook in runtime.start_hooks:
        await hook()
    assert runtime.api is not None
    port = free_port()
    ready = asyncio.Event()
    server = asyncio.create_task(serve(runtime.api, host="127.0.0.1", port=port, ready=ready))
    await ready.wait()
    data = DataDir(tmp_path)
    data.write_endpoints(
        nats_url="nats://127.0.0.1:1", services={"budgets": f"http://127.0.0.1:{port}"}, pids={}
    )
    (tmp_path / "token").write_text(API_TOKEN)
    yield tmp_path
    server.cancel()
    await asyncio.gather(server, return_exceptions=True)
    for hook in reversed(runtime.stop_hooks):
        await hook()


async def kubeopt_budgets(*args: str) -> Result:
    # The CLI is synchronous; the API answers from this test's event loop meanwhile.
    return await asyncio.to_thread(runner.invoke, app, list(args))


async def test_create_list_and_status(data_dir: Path, unique: str) -> None:
    name = f"cli-{unique}"
    created = await kubeopt_budgets(
        "create",
        name,
        "--amount",
        "1500",
        "--namespace",
        "shop",
        "--cluster",
        "prod",
        "--period",
        "weekly",
        "--tz",
        "Europe/Berlin",
        "--threshold",
        "80",
        "--forecast-threshold",
        "100",
        "--label",
        "team=shop",
        "--output",
        "json",
        "--data-dir",
        str(data_dir),
    )
    assert created.exit_code == 0, created.output
    budget = json.loads(created.stdout)
    assert (budget["name"], budget["amount_nano_usd"], budget["labels"]) == (
        name,
        1_500 * 10**9,
        {"team": "shop"},
    )
    assert [(t["pct"], t["basis"]) for t in budget["thresholds"]] == [
        (80, "actual"),
        (100, "forecast"),
    ]

    listed = await kubeopt_budgets("list", "--output", "csv", "--data-dir", str(data_dir))
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0] == "name,scope,period,time_zone,amount,thresholds"
    assert f'{name},cluster=prod ns=shop,weekly,Europe/Berlin,"1,500.00",80% 100%(fc)' in lines

    table = await kubeopt_budgets("status", name, "--history", "2", "--data-dir", str(data_dir))
    assert table.exit_code == 0, table.output
    assert f"Budget {name}" in table.stdout
    assert "current" in table.stdout
    raw = await kubeopt_budgets("status", name, "-o", "json", "--data-dir", str(data_dir))
    status = json.loads(raw.stdout)
    assert (status["spend_to_date_nano_usd"], len(status["history"])) == (0, 6)


async def test_bad_input_is_one_line_naming_the_field(data_dir: Path, unique: str) -> None:
    result = await kubeopt_budgets(
        "create",
        f"bad-{unique}",
        "--amount",
        "-3",
        "--namespace",
        "shop",
        "--data-dir",
        str(data_dir),
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: 422: amount:")
    assert len(result.stderr.strip().splitlines()) == 1
    zone = await kubeopt_budgets(
        "create",
        f"bad-{unique}",
        "--amount",
        "3",
        "--tz",
        "Mars/Olympus",
        "--namespace",
        "x",
        "--data-dir",
        str(data_dir),
    )
    assert (zone.exit_code, "time_zone" in zone.stderr) == (2, True)
    missing = await kubeopt_budgets("status", "nope", "--data-dir", str(data_dir))
    assert missing.exit_code == 2
    assert "404" in missing.stderr


def test_without_an_installation_it_says_how_to_start_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["list", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "start `kubeopt up`" in result.stderr
