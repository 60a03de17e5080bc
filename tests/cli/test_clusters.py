"""``kubeopt clusters`` against a running collector (its own process, a real nats-server, a
SQLite registry)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from kubeopt_cli.clusters import app
from kubeopt_common.bus.server import free_port

TOKEN = "cli-clusters-token"
runner = CliRunner()


@pytest.fixture
def collector(tmp_path: Path, nats_url: str) -> Iterator[str]:
    """``python -m kubeopt_collector`` with no built-in source and a SQLite registry."""
    port = free_port()
    env = {
        **os.environ,  # noqa: TID251 - the child needs PATH, HOME …
        "KUBEOPT_SOURCE": "none",
        "KUBEOPT_NATS__URL": nats_url,
        "KUBEOPT_API__PORT": str(port),
        "KUBEOPT_API__TOKEN": TOKEN,
        "KUBEOPT_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'collector.db'}",
        "KUBEOPT_STATE_DIR": str(tmp_path / "state"),
    }
    with (tmp_path / "collector.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "kubeopt_collector"], env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the collector did not start: {(tmp_path / 'collector.log').read_text()}")
        time.sleep(0.1)
    yield url
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, collector: str, tmp_path: Path) -> dict[str, str]:
    monkeypatch.setenv("KUBEOPT_TOKEN", TOKEN)
    return {"url": collector, "data_dir": str(tmp_path / "no-allinone")}


def invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--url", env["url"], "--data-dir", env["data_dir"]])
    return result.exit_code, result.stdout, result.stderr


def test_add_list_status_remove(env: dict[str, str], tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    code, out, err = invoke(
        env,
        "add",
        "edge",
        "--provider",
        "gcp",
        "--region",
        "europe-west1",
        "--kubeconfig",
        str(kubeconfig),
        "--prometheus",
        "http://127.0.0.1:1",
        "--prometheus-token",
        "env:PROM_TOKEN",
    )
    assert code == 0, err
    assert "registered cluster edge" in out

    code, out, _ = invoke(env, "list", "--output", "json")
    [cluster] = json.loads(out)["clusters"]
    assert (cluster["name"], cluster["provider"], cluster["region"]) == (
        "edge",
        "gcp",
        "europe-west1",
    )
    assert [s["kind"] for s in cluster["sources"]] == ["kubernetes", "prometheus"]
    assert cluster["sources"][1]["bearer_token"] == "env:PROM_TOKEN"

    code, out, _ = invoke(env, "status", "edge", "--output", "json")
    assert code == 0
    assert {s["kind"] for s in json.loads(out)["source_status"]} == {"kubernetes", "prometheus"}
    code, out, _ = invoke(env, "status", "edge")
    assert "edge (gcp europe-west1)" in out

    code, out, _ = invoke(env, "remove", "edge")
    assert code == 0
    code, _, err = invoke(env, "status", "edge")
    assert code == 1
    assert "404" in err


def test_add_from_a_file_and_bad_input(env: dict[str, str], tmp_path: Path) -> None:
    spec = tmp_path / "cluster.yaml"
    spec.write_text(
        "name: flows\nprovider: aws\nregion: us-east-1\n"
        "sources:\n  - {kind: flowlogs, format: vpc, path: /var/log/flows}\n"
    )
    code, _, err = invoke(env, "add", "--file", str(spec))
    assert code == 0, err
    code, _, err = invoke(env, "add", "--file", str(spec))
    assert code == 2
    assert "409" in err
    assert "flows" in err
    code, _, err = invoke(env, "add", "lonely", "--provider", "aws", "--region", "us-east-1")
    assert code == 2
    assert "missing a source" in err
    code, _, err = invoke(
        env, "add", "x", "--provider", "moon", "--region", "r", "--metrics-server", "--in-cluster"
    )
    assert code == 2
    assert "provider" in err
