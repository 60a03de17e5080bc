"""Optimization runs on the running service: drafts priced by costing, stats, events, re-runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.db.session import unit_of_work
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_recommender import service
from kubeopt_recommender.service.inventory import record_inventory
from tests.recommender.conftest import API_TOKEN
from tests.recommender.fake_costing import FakeCosting
from tests.recommender.fleet import history, inventory

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
WAIT_S = 60.0


async def seed(sessions: async_sessionmaker[AsyncSession], cluster: str) -> None:
    async with unit_of_work(sessions) as session:
        await service.record_usage(session, history(cluster), now=datetime.now(UTC))
    async with unit_of_work(sessions) as session:
        await record_inventory(session, [inventory(cluster)], now=datetime.now(UTC))


async def call(runtime: ServiceRuntime, method: str, path: str, **kwargs: Any) -> httpx.Response:
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://recommender") as client:
        return await client.request(method, path, headers=AUTH, **kwargs)


async def run_to_end(runtime: ServiceRuntime, body: dict[str, Any]) -> dict[str, Any]:
    """Start a run and poll it until it ends (the bound only turns a stall into a failure)."""
    started = await call(runtime, "POST", "/v1/runs", json=body)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    async with asyncio.timeout(WAIT_S):
        while True:
            run: dict[str, Any] = (await call(runtime, "GET", f"/v1/runs/{run_id}")).json()
            if run["state"] in ("completed", "failed"):
                return run
            await asyncio.sleep(0.05)


async def recommendations(runtime: ServiceRuntime, cluster: str) -> dict[tuple[str, str], Any]:
    response = await call(runtime, "GET", "/v1/recommendations", params={"cluster": cluster})
    assert response.status_code == 200
    return {(r["workload"], r["kind"]): r for r in response.json()["items"]}


class Inbox:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def on_message(self, msg: Msg) -> None:
        self.events.append({"subject": msg.subject, **orjson.loads(msg.data)})


@pytest.fixture
async def inbox(nc: Client, unique: str) -> AsyncIterator[Inbox]:
    box = Inbox()
    subject = f"kubeopt.v1.recommendation.*.lab-{unique}"
    subscription = await nc.subscribe(subject, cb=box.on_message)
    yield box
    await subscription.unsubscribe()


async def test_a_run_recommends_with_prices_stats_and_events(
    lab_recommender: ServiceRuntime,
    pg_sessions: async_sessionmaker[AsyncSession],
    costing: FakeCosting,
    inbox: Inbox,
    nc: Client,
    unique: str,
) -> None:
    cluster = f"lab-{unique}"
    await seed(pg_sessions, cluster)
    run = await run_to_end(lab_recommender, {"cluster": cluster})
    assert run["state"] == "completed", run["error"]
    assert run["progress"] == 1.0
    assert run["stats"]["skipped"]["insufficient_history"] == 1
    assert (
        "shop/Deployment/fresh/app: 2.0 h" in run["stats"]["skip_examples"]["insufficient_history"]
    )
    assert run["stats"]["price_status"] == "costing"

    found = await recommendations(lab_recommender, cluster)
    cart = found[("cart", "rightsizing")]
    assert cart["state"] == "open"
    assert cart["recommended"]["cpu_request_millicores"] < 400
    assert cart["recommended"]["memory_request_bytes"] < 600 * 2**20
    assert cart["recommended"]["cpu_limit_millicores"] is None
    assert cart["price_status"] == "costing"
    assert float(cart["monthly_savings"]) > 0
    assert cart["co2e_grams_per_month"] > 0
    assert 0.5 <= cart["confidence"] < 1
    assert cart["patch"]["patch"]["spec"]["template"]["spec"]["containers"][0]["name"] == "app"
    api = found[("api", "rightsizing")]
    assert api["recommended"]["cpu_request_millicores"] == 500  # the HPA's metric is kept
    assert ("fresh", "rightsizing") not in found

    spot = found[("cart", "spot")]
    assert spot["container"] == ""
    assert spot["details"]["check_pdb"] == "pass"
    assert float(spot["monthly_savings"]) > 0
    shift = found[("nightly", "carbon_shift")]
    assert shift["current"]["schedule"] == "0 18 * * *"
    assert shift["recommended"]["schedule"] in {f"0 {h} * * *" for h in range(6)}
    assert shift["co2e_grams_per_month"] > 0
    region = found[("nightly", "carbon_region")]
    assert region["recommended"]["region"] == "ca-central-1"
    assert float(region["monthly_savings"]) < 0  # the cleaner region costs more here

    async with asyncio.timeout(WAIT_S):
        while len(inbox.events) < len(found):
            await asyncio.sleep(0.05)
    created = {e["recommendation_id"] for e in inbox.events if ".created." in e["subject"]}
    assert created == {r["id"] for r in found.values()}

    again = await run_to_end(lab_recommender, {"cluster": cluster})
    assert "created" not in again["stats"]["outcomes"]
    assert again["stats"]["outcomes"].get("unchanged", 0) + again["stats"]["outcomes"].get(
        "updated", 0
    ) == len(found)
    assert {r["id"] for r in (await recommendations(lab_recommender, cluster)).values()} == {
        r["id"] for r in found.values()
    }


async def test_without_costing_savings_are_marked_unpriced(
    lab_recommender: ServiceRuntime, pg_sessions: async_sessionmaker[AsyncSession], unique: str
) -> None:
    cluster = f"lab-{unique}"
    await seed(pg_sessions, cluster)
    run = await run_to_end(lab_recommender, {"cluster": cluster, "kinds": ["rightsizing"]})
    assert run["state"] == "completed"
    assert run["stats"]["price_status"].startswith("unavailable: ")
    cart = (await recommendations(lab_recommender, cluster))[("cart", "rightsizing")]
    assert cart["price_status"].startswith("unavailable: ")
    assert cart["monthly_savings_nano_usd"] == 0
    assert "savings unpriced" in cart["summary"]


async def test_runs_validate_their_input(lab_recommender: ServiceRuntime) -> None:
    bad = await call(lab_recommender, "POST", "/v1/runs", json={"policy": "cheapest"})
    assert bad.status_code == 422
    assert "policy" in bad.json()["detail"]
    missing = await call(lab_recommender, "GET", "/v1/runs/run-nope")
    assert missing.status_code == 404
    assert "run-nope" in missing.json()["detail"]
