"""The recommender HTTP API through ASGI: auth, analyzers, observations, problems."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.db.session import unit_of_work
from kubeopt_recommender import service
from kubeopt_recommender.app import build
from tests.recommender.builders import T0, WINDOW, node, sample, usage_event
from tests.recommender.conftest import API_TOKEN, make_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(recommender_pg_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API of a recommender whose database is started (no bus)."""
    runtime = build(make_settings(nats_url="nats://127.0.0.1:1", db_url=recommender_pg_url))
    for hook in runtime.start_hooks:
        await hook()
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://recommender") as c:
        yield c
    for hook in reversed(runtime.stop_hooks):
        await hook()


@pytest.mark.parametrize("path", ["/v1/analyzers", "/v1/observations"])
async def test_routes_require_a_bearer_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "invalid bearer token"


async def test_analyzers_lists_the_installed_ones(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/analyzers", headers=AUTH)
    assert response.status_code == 200
    names = [a["name"] for a in response.json()["analyzers"]]
    assert "history" in names
    assert all(a["description"] for a in response.json()["analyzers"])


async def test_observations_by_namespace_with_history_facts(
    client: httpx.AsyncClient, pg_sessions: async_sessionmaker[AsyncSession], unique: str
) -> None:
    cluster = f"api-{unique}"
    rows = (sample(pod="cart-a"), sample(pod="api-1", namespace=f"web-{unique}", workload="api"))
    events = [
        usage_event(cluster=cluster, window_start=T0 + i * WINDOW, nodes=(node("n1", *rows),))
        for i in range(2)
    ]
    async with unit_of_work(pg_sessions) as session:
        await service.record_usage(session, events, now=datetime.now(UTC))

    response = await client.get(
        "/v1/observations", params={"namespace": f"web-{unique}"}, headers=AUTH
    )
    assert response.status_code == 200
    [observed] = response.json()["observations"]
    assert (observed["cluster"], observed["workload_kind"], observed["workload"]) == (
        cluster,
        "Deployment",
        "api",
    )
    assert observed["history_hours"] == pytest.approx(10 / 60, abs=0.001)
    assert observed["enough_history"] is False
    assert observed["findings"]["history"]["min_history_hours"] == 24.0
    assert observed["cpu_limit_millicores"] is None

    both = await client.get(
        "/v1/observations", params={"cluster": cluster, "limit": 1}, headers=AUTH
    )
    assert [o["namespace"] for o in both.json()["observations"]] == ["shop"]


@pytest.mark.parametrize(
    ("params", "bad"),
    [({"limit": "0"}, "limit"), ({"offset": "-1"}, "offset"), ({"limit": "x"}, "limit")],
)
async def test_bad_query_parameters_are_problems_naming_them(
    client: httpx.AsyncClient, params: dict[str, str], bad: str
) -> None:
    response = await client.get("/v1/observations", params=params, headers=AUTH)
    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid-params"]] == [bad]


async def test_openapi_documents_the_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    observations = spec["paths"]["/v1/observations"]["get"]
    assert observations["summary"] == "Observed containers and their usage history"
    assert {p["name"] for p in observations["parameters"]} == {
        "cluster",
        "namespace",
        "limit",
        "offset",
    }
    assert "/v1/analyzers" in spec["paths"]
