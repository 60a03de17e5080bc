"""create_api: bearer auth on every router, RFC 9457 problems, health, readiness, metrics."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Query
from prometheus_client import CollectorRegistry, Counter

from kubeopt_common.web import ProblemError, ReadinessCheck, create_api
from kubeopt_common.web.problems import PROBLEM_MEDIA_TYPE, bad_param

TOKEN = secrets.token_urlsafe(16)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/spend")
    async def spend(limit: int = Query(ge=1, le=100)) -> dict[str, int]:
        return {"limit": limit}

    @router.get("/budgets/{budget_id}")
    async def budget(budget_id: str) -> dict[str, str]:
        if budget_id == "taken":
            raise ProblemError(409, "Conflict", "budget taken already exists")
        if budget_id == "bad":
            raise bad_param("budget_id", "must not be 'bad'")
        return {"id": budget_id}

    return router


async def _ok() -> bool:
    return True


async def _down() -> bool:
    return False


async def _broken() -> bool:
    raise ConnectionError("refused")


def _app(readiness: list[ReadinessCheck], registry: CollectorRegistry | None = None) -> FastAPI:
    return create_api(
        title="Test",
        description="A test API",
        version="1.2.3",
        token=TOKEN,
        routers=[_router()],
        readiness=readiness,
        registry=registry or CollectorRegistry(),
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = _app([ReadinessCheck("nats", _ok), ReadinessCheck("db", _ok)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        yield c


async def _get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        return await c.get(path)


async def test_healthz_needs_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_every_probe_passes(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"nats": True, "db": True}}


async def test_readyz_is_503_naming_the_failing_checks() -> None:
    app = _app(
        [
            ReadinessCheck("nats", _ok),
            ReadinessCheck("db", _down),
            ReadinessCheck("clickhouse", _broken),
        ]
    )
    response = await _get(app, "/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"nats": True, "db": False, "clickhouse": False},
    }


async def test_metrics_exposes_the_registry_as_prometheus_text() -> None:
    registry = CollectorRegistry()
    Counter("kubeopt_test_things", "Things counted", registry=registry).inc(3)
    response = await _get(_app([], registry), "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "kubeopt_test_things_total 3.0" in response.text


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "missing bearer token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing bearer token"),
        ({"Authorization": "Bearer wrong-token"}, "invalid bearer token"),
    ],
)
async def test_router_endpoints_require_the_bearer_token(
    client: httpx.AsyncClient, headers: dict[str, str], detail: str
) -> None:
    response = await client.get("/v1/spend?limit=5", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert body["detail"] == detail
    assert body["instance"] == "/v1/spend"


async def test_the_right_token_is_let_through(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/spend?limit=5", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"limit": 5}


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", ""])
async def test_an_invalid_query_parameter_is_a_422_problem_naming_it(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.get(f"/v1/spend?{query}", headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["title"] == "Invalid request"
    assert [p["name"] for p in body["invalid-params"]] == ["limit"]
    assert body["detail"].startswith("limit: ")


async def test_a_problem_error_answers_with_its_status(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/budgets/taken", headers=AUTH)
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "budget taken already exists",
        "instance": "/v1/budgets/taken",
        "invalid-params": [],
    }


async def test_bad_param_names_the_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/budgets/bad", headers=AUTH)
    assert response.status_code == 400
    assert response.json()["invalid-params"] == [
        {"name": "budget_id", "reason": "must not be 'bad'"}
    ]


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["title"] == "Not Found"


async def test_openapi_lists_the_router_paths(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Test"
    assert document["info"]["version"] == "1.2.3"
    assert {"/v1/spend", "/v1/budgets/{budget_id}", "/healthz", "/readyz", "/metrics"} <= set(
        document["paths"]
    )


async def test_unhandled_error_is_a_problem_without_details() -> None:
    from fastapi import APIRouter

    router = APIRouter(prefix="/v1")

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app = create_api(
        title="t",
        description="",
        version="0",
        token="tok",
        routers=[router],
        readiness=[],
        registry=CollectorRegistry(),
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/v1/boom", headers={"Authorization": "Bearer tok"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in response.text
