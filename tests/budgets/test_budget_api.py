"""Budgets CRUD and status through ASGI: validation names the field, status sums the scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_budgets import repository
from kubeopt_budgets.app import build
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.runtime import ServiceRuntime
from tests.budgets.builders import spend_total
from tests.budgets.conftest import API_TOKEN, make_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def budget_body(budget_name: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": budget_name,
        "scope": {"clusters": ["prod"], "namespaces": ["shop"]},
        "period": {"kind": "monthly"},
        "time_zone": "Europe/Berlin",
        "amount": "1000",
        "thresholds": [{"pct": 80}, {"pct": 100, "basis": "forecast"}],
        "labels": {"team": "shop"},
    }
    body.update(overrides)
    return body


@pytest.fixture
async def client(budgets_pg_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API of a budgets service whose database is started (no bus)."""
    runtime: ServiceRuntime = build(
        make_settings(nats_url="nats://127.0.0.1:1", db_url=budgets_pg_url)
    )
    for hook in runtime.start_hooks:
        await hook()
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://budgets") as c:
        yield c
    for hook in reversed(runtime.stop_hooks):
        await hook()


async def test_create_get_list_replace_delete(client: httpx.AsyncClient, unique: str) -> None:
    created = await client.post("/v1/budgets", json=budget_body(f"shop-{unique}"), headers=AUTH)
    assert created.status_code == 201, created.text
    budget = created.json()
    assert budget["amount"] == "1000"
    assert budget["amount_nano_usd"] == 1_000 * 10**9
    assert budget["thresholds"] == [
        {"pct": 80, "basis": "actual"},
        {"pct": 100, "basis": "forecast"},
    ]
    by_name = await client.get(f"/v1/budgets/shop-{unique}", headers=AUTH)
    assert by_name.json()["id"] == budget["id"]
    listed = (await client.get("/v1/budgets", headers=AUTH)).json()["budgets"]
    assert budget["id"] in [b["id"] for b in listed]

    replaced = await client.put(
        f"/v1/budgets/{budget['id']}",
        json=budget_body(f"shop-{unique}", amount="12.5", period={"kind": "weekly"}),
        headers=AUTH,
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["amount_nano_usd"], replaced.json()["created_at"]) == (
        12_500_000_000,
        budget["created_at"],
    )
    assert (await client.delete(f"/v1/budgets/{budget['id']}", headers=AUTH)).status_code == 204
    gone = await client.get(f"/v1/budgets/{budget['id']}", headers=AUTH)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"


async def test_default_thresholds_and_duplicate_names(
    client: httpx.AsyncClient, unique: str
) -> None:
    body = budget_body(f"dup-{unique}")
    del body["thresholds"]
    first = await client.post("/v1/budgets", json=body, headers=AUTH)
    assert [(t["pct"], t["basis"]) for t in first.json()["thresholds"]] == [
        (50, "actual"),
        (80, "actual"),
        (100, "actual"),
        (100, "forecast"),
    ]
    again = await client.post("/v1/budgets", json=body, headers=AUTH)
    assert again.status_code == 409
    assert again.json()["invalid-params"][0]["name"] == "name"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0.0000000001"}, "amount"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"scope": {}}, "scope"),
        ({"scope": {"namespace_selector": "tier in ()"}}, "scope.namespace_selector"),
        ({"period": {"kind": "custom", "start": "2026-01-01"}}, "period"),
        ({"period": {"kind": "weekly", "week_start": 9}}, "period.week_start"),
        ({"period": {"kind": "fortnightly"}}, "period.kind"),
        ({"thresholds": [{"pct": 0}]}, "thresholds.0.pct"),
        ({"thresholds": [{"pct": 80}, {"pct": 80}]}, "thresholds"),
        ({"currency": "EUR"}, "currency"),
        ({"name": "has spaces"}, "name"),
    ],
)
async def test_invalid_budgets_are_422_naming_the_field(
    client: httpx.AsyncClient, unique: str, overrides: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/v1/budgets", json=budget_body(f"bad-{unique}", **overrides), headers=AUTH
    )
    assert response.status_code == 422, response.text
    assert [p["name"] for p in response.json()["invalid-params"]] == [field]


async def test_status_reports_spend_forecast_remaining_and_history(
    client: httpx.AsyncClient, pg_sessions: async_sessionmaker[AsyncSession], unique: str
) -> None:
    cluster = f"st-{unique}"
    now = datetime.now(UTC)
    # 20 days of 2.4 USD per day (0.1 per hour) in "shop", and spend elsewhere that must not count.
    totals = [
        spend_total(
            cluster=cluster,
            namespace=ns,
            window_start=now - i * timedelta(hours=1),
            cost_nano_usd=100_000_000,
        )
        for i in range(1, 20 * 24)
        for ns in ("shop", "ads")
    ]
    async with unit_of_work(pg_sessions) as session:
        await repository.upsert_spend_totals(session, totals, now=now)
    body = budget_body(
        f"st-{unique}",
        scope={"clusters": [cluster], "namespaces": ["shop"]},
        period={"kind": "daily"},
        time_zone="UTC",
        amount="10",
    )
    assert (await client.post("/v1/budgets", json=body, headers=AUTH)).status_code == 201
    response = await client.get(
        f"/v1/budgets/st-{unique}/status", params={"history": 3}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    status = response.json()
    start = datetime.fromisoformat(status["period_start"])
    hours_today = int((now - start) / timedelta(hours=1))
    spent_today = status["spend_to_date_nano_usd"]
    assert spent_today in (hours_today * 100_000_000, (hours_today + 1) * 100_000_000)
    assert status["remaining_nano_usd"] == 10 * 10**9 - spent_today
    assert status["forecast_method"] == "trend+weekday"
    assert status["forecast_nano_usd"] == pytest.approx(2_400_000_000, rel=0.05)
    assert [p["spend_nano_usd"] for p in status["history"]] == [2_400_000_000] * 3
    assert [p["pct_of_amount"] for p in status["history"]] == [24.0] * 3
    assert datetime.fromisoformat(status["history"][0]["end"]) == start
    assert status["crossings"] == []


async def test_unknown_budget_status_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/budgets/nope/status", headers=AUTH)
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


async def test_openapi_documents_budget_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert {"post", "get"} <= set(spec["paths"]["/v1/budgets"])
    assert {"get", "put", "delete"} <= set(spec["paths"]["/v1/budgets/{budget}"])
    scope = spec["components"]["schemas"]["ScopeIn"]["properties"]
    assert "inventory" in scope["namespace_selector"]["description"]
