"""The cluster registry through the collector's API: CRUD, validation, status, and sources
that really run (a fake API server, a real Prometheus, a real nats-server, PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from nats.aio.client import Client
from pydantic import SecretStr

from kubeopt_collector.app import build
from kubeopt_collector.settings import CollectorSettings
from kubeopt_common.bus.server import free_port
from kubeopt_common.runtime import run_service
from kubeopt_common.settings import ApiSettings, DatabaseSettings, NatsSettings
from tests.collector.fake_apiserver import FakeApiServer
from tests.collector.kube_rig import populate
from tests.collector.prometheus_rig import RunningPrometheus

TOKEN = "registry-test-token"


async def eventually(predicate: Callable[[], Any]) -> None:
    async with asyncio.timeout(20):
        while not await predicate():
            await asyncio.sleep(0.05)


@pytest.fixture
def kube() -> Iterator[FakeApiServer]:
    server = FakeApiServer(token="kube-token").start()
    populate(server)
    yield server
    server.stop()


@pytest.fixture
async def api(
    tmp_path: Path, nats_url: str, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("KUBE_TOKEN", "kube-token")
    settings = CollectorSettings(
        source="none",
        nats=NatsSettings(url=nats_url),
        api=ApiSettings(port=free_port(), token=SecretStr(TOKEN)),
        database=DatabaseSettings(url=SecretStr(pg_url)),
        state_dir=tmp_path / "state",
    )
    runtime = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(runtime, stop=stop))
    await asyncio.wait_for(runtime.started.wait(), timeout=30)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = f"http://127.0.0.1:{settings.api.port}"
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        yield client
    stop.set()
    await asyncio.wait_for(task, timeout=30)


def cluster_body(name: str, kube_url: str, **extra: Any) -> dict[str, Any]:
    sources: list[dict[str, Any]] = [
        {
            "kind": "kubernetes",
            "connection": "token",
            "host": kube_url,
            "token": "env:KUBE_TOKEN",
            "watch_timeout_s": 5,
            "delta_flush_s": 0.2,
        }
    ]
    sources += extra.pop("sources", [])
    return {"name": name, "provider": "aws", "region": "us-east-1", "sources": sources, **extra}


async def status_of(api: httpx.AsyncClient, ref: str) -> dict[str, Any]:
    response = await api.get(f"/v1/clusters/{ref}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_registered_cluster_publishes_under_its_name(
    api: httpx.AsyncClient,
    kube: FakeApiServer,
    prometheus: RunningPrometheus,
    nc: Client,
    unique: str,
) -> None:
    name = f"prod-{unique}"
    inventory = await nc.subscribe(f"kubeopt.v1.inventory.snapshotted.{name}")
    usage = await nc.subscribe(f"kubeopt.v1.usage.sampled.{name}")
    prom = {"kind": "prometheus", "url": prometheus.url, "backfill_days": 0.05, "lag_s": 0}
    created = await api.post("/v1/clusters", json=cluster_body(name, kube.url, sources=[prom]))
    assert created.status_code == 201, created.text
    cluster_id = created.json()["id"]

    async def running() -> bool:
        status = await status_of(api, cluster_id)
        return status["status"] == "ok" and len(status["source_status"]) == 2

    await eventually(running)
    snapshot = orjson.loads((await inventory.next_msg(timeout=20)).data)
    sample = orjson.loads((await usage.next_msg(timeout=20)).data)
    await inventory.unsubscribe()  # nothing left for the fixture's drain to wait for
    await usage.unsubscribe()
    assert snapshot["cluster"] == sample["cluster"] == name
    assert (snapshot["provider"], snapshot["region"]) == ("aws", "us-east-1")
    assert {n["node"]["name"] for n in sample["nodes"]} == {"node-a", "node-b"}

    status = await status_of(api, name)  # by name works too
    assert status["id"] == cluster_id
    assert all(s["last_seen_at"] is not None for s in status["source_status"])
    assert status["sources"][0]["token"] == "env:KUBE_TOKEN"  # a reference, never a value
    listed = (await api.get("/v1/clusters")).json()["clusters"]
    assert name in [c["name"] for c in listed]


async def test_validation_and_conflicts(
    api: httpx.AsyncClient, kube: FakeApiServer, unique: str
) -> None:
    name = f"dup-{unique}"
    assert (await api.post("/v1/clusters", json=cluster_body(name, kube.url))).status_code == 201
    again = await api.post("/v1/clusters", json=cluster_body(name, kube.url))
    assert again.status_code == 409
    assert name in again.json()["detail"]

    plain = cluster_body(f"plain-{unique}", kube.url)
    plain["sources"][0]["token"] = "eyJhbGciOiJSUzI1NiJ9.secret"
    rejected = await api.post("/v1/clusters", json=plain)
    assert rejected.status_code == 422
    assert "sources.0.kubernetes.token" in rejected.text
    bad_name = await api.post("/v1/clusters", json=cluster_body("Bad.Name", kube.url))
    assert bad_name.status_code == 422
    orphan = cluster_body(f"orphan-{unique}", kube.url)
    orphan["sources"] = [{"kind": "metrics_server"}]
    refused = await api.post("/v1/clusters", json=orphan)
    assert refused.status_code == 422
    assert "needs the cluster's kubernetes source" in refused.text
    assert (await api.get("/v1/clusters/no-such-cluster")).status_code == 404


async def test_an_unreachable_api_server_shows_in_the_status(
    api: httpx.AsyncClient, unique: str
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    body = cluster_body(f"down-{unique}", url)
    assert (await api.post("/v1/clusters", json=body)).status_code == 201

    async def retrying() -> bool:
        sources = (await status_of(api, body["name"]))["source_status"]
        return bool(sources and sources[0]["state"] == "retrying")

    await eventually(retrying)
    status = await status_of(api, body["name"])
    source = status["source_status"][0]
    assert status["status"] == "degraded"
    assert source["last_seen_at"] is None
    assert "127.0.0.1" in source["last_error"]
    assert source["next_retry_at"] is not None


async def test_replace_and_delete(api: httpx.AsyncClient, kube: FakeApiServer, unique: str) -> None:
    name = f"edit-{unique}"
    created = (await api.post("/v1/clusters", json=cluster_body(name, kube.url))).json()
    changed = cluster_body(name, kube.url, region="eu-west-1")
    replaced = await api.put(f"/v1/clusters/{created['id']}", json=changed)
    assert replaced.status_code == 200
    assert replaced.json()["region"] == "eu-west-1"
    assert (await status_of(api, name))["region"] == "eu-west-1"
    assert (await api.delete(f"/v1/clusters/{name}")).status_code == 204
    assert (await api.get(f"/v1/clusters/{created['id']}")).status_code == 404
    assert (await api.delete(f"/v1/clusters/{name}")).status_code == 404
