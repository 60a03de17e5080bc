"""The collector service wired end to end: settings -> runtime -> API, on a real nats-server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from kubeopt_collector.app import build
from kubeopt_collector.checkpoint import STATE_FILE
from kubeopt_collector.settings import CollectorSettings
from kubeopt_collector.simulator.scenario import ScenarioError
from kubeopt_common.bus.server import free_port
from kubeopt_common.runtime import run_service
from kubeopt_common.settings import ApiSettings, DatabaseSettings, NatsSettings

TOKEN = "collector-test-token"
SCENARIO = """\
seed: 3
clusters:
  - name: app-{unique}
    provider: gcp
    region: europe-west1
    node_pools:
      - {{name: general, instance_type: e2-standard-4, zones: [europe-west1-b], count: 2}}
    namespaces: [{{name: apps}}]
    workloads:
      - namespace: apps
        kind: Deployment
        name: api
        replicas: 2
        containers: [{{name: app, requests: {{cpu: 100m, memory: 128Mi}}}}]
"""


def settings_for(tmp_path: Path, nats_url: str, unique: str) -> CollectorSettings:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO.format(unique=unique))
    return CollectorSettings(
        nats=NatsSettings(url=nats_url),
        api=ApiSettings(port=free_port(), token=SecretStr(TOKEN)),
        scenario=scenario,
        state_dir=tmp_path / "state",
        initial_backfill_s=180,
        pace_consumer=f"costing-{unique}",
        database=DatabaseSettings(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")),
    )


def test_api_port_defaults_to_8705() -> None:
    assert CollectorSettings().api.port == 8705


def test_bad_scenario_fails_at_build(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 1\nclusters: []\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:2: clusters: needs at least 1 item"):
        build(CollectorSettings(scenario=bad, state_dir=tmp_path))


async def test_service_publishes_and_reports_its_sources(
    tmp_path: Path, nats_url: str, unique: str
) -> None:
    settings = settings_for(tmp_path, nats_url, unique)
    runtime = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(runtime, stop=stop))
    await asyncio.wait_for(runtime.started.wait(), timeout=20)
    base = f"http://127.0.0.1:{settings.api.port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            for _ in range(200):
                sources = (await client.get("/v1/sources")).json()
                if sources[0]["samples_published"]:
                    break
                await asyncio.sleep(0.05)
            ready = await client.get("/readyz")
            unauthorised = await client.get("/v1/sources", headers={"Authorization": ""})
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)

    (status,) = sources
    cluster = f"app-{unique}"
    assert status["name"] == "simulator"
    assert status["kind"] == "simulator"
    assert status["clusters"] == [cluster]
    assert status["last_windows"][cluster] is not None
    assert status["samples_published"] >= 3 * 2  # three windows of history, two containers
    assert status["last_error"] is None
    assert ready.status_code == 200
    assert unauthorised.status_code == 401
    assert cluster in (settings.state_dir / STATE_FILE).read_text()


async def test_declared_clusters_are_registered_at_start(
    tmp_path: Path, nats_url: str, unique: str
) -> None:
    clusters = tmp_path / "clusters.yaml"
    clusters.write_text(
        f"- name: edge-{unique}\n  provider: gcp\n  region: europe-west1\n"
        "  sources: [{kind: flowlogs, format: vpc, path: /nonexistent/flows}]\n"
    )
    settings = settings_for(tmp_path, nats_url, unique).model_copy(
        update={"source": "none", "clusters_file": clusters}
    )
    runtime = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(runtime, stop=stop))
    await asyncio.wait_for(runtime.started.wait(), timeout=20)
    base = f"http://127.0.0.1:{settings.api.port}"
    try:
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as client:
            for _ in range(200):
                cluster = (await client.get(f"/v1/clusters/edge-{unique}")).json()
                if cluster.get("source_status") and cluster["source_status"][0]["last_error"]:
                    break
                await asyncio.sleep(0.05)
            sources = (await client.get("/v1/sources")).json()
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
    assert sources == []  # no simulator
    assert cluster["region"] == "europe-west1"
    assert "/nonexistent/flows does not exist" in cluster["source_status"][0]["last_error"]
