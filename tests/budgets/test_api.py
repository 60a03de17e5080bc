"""The budgets HTTP API through ASGI: auth, problems naming parameters, sums, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_budgets import repository
from kubeopt_budgets.app import build
from kubeopt_budgets.domain import reduce_totals
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.runtime import ServiceRuntime
from tests.budgets.builders import T0, WINDOW, spend_total
from tests.budgets.conftest import API_TOKEN, make_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
PERIOD = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}


@pytest.fixture
async def budgets_runtime(budgets_pg_url: str) -> AsyncIterator[ServiceRuntime]:
    """The service with its database started but no bus: enough to serve the API."""
    runtime = build(make_settings(nats_url="nats://127.0.0.1:1", db_url=budgets_pg_url))
    for hook in runtime.start_hooks:
        await hook()
    yield runtime
    for hook in reversed(runtime.stop_hooks):
        await hook()


@pytest.fixture
async def client(budgets_runtime: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    assert budgets_runtime.api is not None
    transport = httpx.ASGITransport(app=budgets_runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://budgets") as c:
        yield c


async def test_spend_requires_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/spend", params=PERIOD)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "missing bearer token"
    wrong = await client.get("/v1/spend", params=PERIOD, headers={"Authorization": "Bearer no"})
    assert wrong.status_code == 401


async def test_end_not_after_start_is_a_problem_naming_end(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/spend", params={"start": T0.isoformat(), "end": T0.isoformat()}, headers=AUTH
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["invalid-params"][0]["name"] == "end"
    assert "later than start" in problem["detail"]


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"start": "2026-01-05T10:00:00", "end": "2026-01-05T11:00:00Z"}, "start"),
        ({"start": "2026-01-05T10:00:00Z", "end": "tomorrow"}, "end"),
        ({"end": "2026-01-05T11:00:00Z"}, "start"),
    ],
)
async def test_invalid_datetimes_are_problems_naming_the_parameter(
    client: httpx.AsyncClient, params: dict[str, str], bad: str
) -> None:
    response = await client.get("/v1/spend", params=params, headers=AUTH)
    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid-params"]] == [bad]


async def test_spend_sums_per_namespace_with_filters(
    client: httpx.AsyncClient, pg_sessions: async_sessionmaker[AsyncSession], unique: str
) -> None:
    cluster = f"api-{unique}"
    totals = [
        spend_total(cluster=cluster, namespace="shop", cost_nano_usd=1_500_000_000),
        spend_total(cluster=cluster, namespace="shop", window_start=T0 + WINDOW, cost_nano_usd=250),
        spend_total(cluster=cluster, namespace="ads", cost_nano_usd=7, gpu_cost_nano_usd=2),
        spend_total(cluster=cluster, namespace="ads", window_start=T0 - WINDOW, cost_nano_usd=9),
    ]
    async with unit_of_work(pg_sessions) as session:
        await repository.upsert_spend_totals(session, reduce_totals(totals), now=datetime.now(UTC))

    response = await client.get("/v1/spend", params={**PERIOD, "cluster": cluster}, headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "USD"
    assert (body["total_nano_usd"], body["total_usd"]) == (1_500_000_257, "1.500000257")
    assert [(n["namespace"], n["windows"], n["cost_usd"]) for n in body["namespaces"]] == [
        ("ads", 1, "0.000000007"),
        ("shop", 2, "1.500000250"),
    ]
    assert body["namespaces"][0]["gpu_cost_nano_usd"] == 2

    only_shop = await client.get(
        "/v1/spend", params={**PERIOD, "cluster": cluster, "namespace": "shop"}, headers=AUTH
    )
    assert [n["namespace"] for n in only_shop.json()["namespaces"]] == ["shop"]


async def test_offsets_are_normalised_to_utc(client: httpx.AsyncClient) -> None:
    params = {"start": "2026-01-05T12:00:00+02:00", "end": "2026-01-05T13:00:00+02:00"}
    response = await client.get("/v1/spend", params=params, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["start"] == "2026-01-05T10:00:00Z"


async def test_openapi_documents_the_spend_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/v1/spend"]["get"]
    assert operation["summary"] == "Spend per namespace over a period"
    assert {p["name"] for p in operation["parameters"]} == {"start", "end", "cluster", "namespace"}
    assert all(p.get("description") for p in operation["parameters"])
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SpendReport"
    }
    assert {"400", "401", "422"} <= set(operation["responses"])
    assert "cost_usd" in spec["components"]["schemas"]["NamespaceSpendOut"]["properties"]


async def test_readiness_reports_each_dependency(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"nats": False, "database": True}
