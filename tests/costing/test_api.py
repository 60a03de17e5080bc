"""The allocation API over HTTP (ASGI): auth, problems naming the parameter, response shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from prometheus_client import CollectorRegistry

from kubeopt_common.clickhouse.chdb_adapter import ChdbClickHouse
from kubeopt_common.web import ReadinessCheck, create_api
from kubeopt_costing.analytics import CostStore
from kubeopt_costing.api import build_router
from kubeopt_costing.carbon_catalog import load_carbon_catalog
from kubeopt_costing.catalog import load_price_book
from kubeopt_costing.service import CostingService
from tests.costing.fleet import HOUR, M5_XLARGE_NANO_PER_HOUR, usage

TOKEN = "test-token"


async def _ready() -> bool:
    return True


@pytest.fixture
async def client(clickhouse: ChdbClickHouse) -> AsyncIterator[httpx.AsyncClient]:
    store = CostStore(clickhouse, raw_retention_days=3650, rollup_retention_days=3650)
    store.migrate()
    service = CostingService(
        store,
        load_price_book(catalog_dir=None, overrides_file=None),
        producer="t",
        carbon=load_carbon_catalog(),
    )
    service.ingest([usage(m) for m in range(60)])
    app = create_api(
        title="costing",
        description="",
        version="0",
        token=TOKEN,
        routers=[build_router(service)],
        readiness=[ReadinessCheck("ok", _ready)],
        registry=CollectorRegistry(),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://costing", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as c:
        yield c


async def test_allocation_by_namespace(client: httpx.AsyncClient) -> None:
    window = f"{HOUR.isoformat()},{HOUR.replace(hour=11).isoformat()}"
    response = await client.get(
        "/v1/allocation", params={"window": window, "aggregate": "namespace"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["resolution"] == "1h"
    names = {item["name"] for item in body["items"]}
    assert names == {"shop", "data", "__idle__"}
    assert Decimal(body["total"]["total_cost"]) == Decimal(M5_XLARGE_NANO_PER_HOUR).scaleb(-9)
    shop = next(i for i in body["items"] if i["name"] == "shop")
    assert shop["properties"] == {"namespace": "shop"}
    assert shop["cpu_efficiency"] == pytest.approx(0.5)
    assert shop["price_sources"] == ["catalog"]


@pytest.mark.parametrize(
    ("params", "name"),
    [({"window": "soon"}, "window"), ({"window": "1h", "aggregate": "team"}, "aggregate")],
)
async def test_bad_parameters_are_named(
    client: httpx.AsyncClient, params: dict[str, str], name: str
) -> None:
    response = await client.get("/v1/allocation", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["invalid-params"][0]["name"] == name


async def test_missing_window_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/allocation")
    assert response.status_code == 422
    assert response.json()["invalid-params"][0]["name"] == "window"


async def test_token_is_required(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/allocation", params={"window": "1h"}, headers={"Authorization": ""}
    )
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


async def test_openapi_documents_the_allocation_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    params = {p["name"] for p in spec["paths"]["/v1/allocation"]["get"]["parameters"]}
    assert {"window", "aggregate", "cluster", "namespace", "include_idle"} <= params


async def test_assets_report_node_cost_and_idle(client: httpx.AsyncClient) -> None:
    window = f"{HOUR.isoformat()},{HOUR.replace(hour=11).isoformat()}"
    body = (await client.get("/v1/assets", params={"window": window})).json()
    (node,) = body["nodes"]
    assert node["node"] == "node-a"
    assert node["cost_nano_usd"] == M5_XLARGE_NANO_PER_HOUR
    assert node["hours"] == 1
    assert node["price_source"] == "catalog"
    assert 0 < node["idle_pct"] < 1
    assert Decimal(body["total_idle_cost"]) == Decimal(node["idle_cost"])
    (cluster,) = body["clusters"]
    assert cluster["hours"] == 1  # node-a ran the whole hour
    assert cluster["management_fee_nano_usd"] == 100_000_000  # EKS standard: $0.10 per hour
    assert Decimal(body["total_cost"]) == Decimal(M5_XLARGE_NANO_PER_HOUR + 100_000_000).scaleb(-9)


async def test_step_series_and_trends(client: httpx.AsyncClient) -> None:
    window = f"{HOUR.isoformat()},{HOUR.replace(hour=11).isoformat()}"
    body = (
        await client.get(
            "/v1/allocation", params={"window": window, "aggregate": "cluster", "step": "15m"}
        )
    ).json()
    assert [len(s["items"]) for s in body["sets"]] == [1, 1, 1, 1]
    assert (
        sum(s["total"]["total_cost_nano_usd"] for s in body["sets"])
        == body["total"]["total_cost_nano_usd"]
    )
    trends = (await client.get("/v1/trends", params={"window": window, "step": "30m"})).json()
    shop = next(i for i in trends["items"] if i["name"] == "shop")
    assert Decimal(shop["previous_cost"]) == 0
    assert shop["change_pct"] is None
    assert len(shop["series"]) == 2


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"window": "1h", "step": "sometimes"}, "step"),
        ({"window": "1h", "label": "no-separator"}, "label"),
        ({"window": "1h", "share_labels": "::"}, "share_labels"),
    ],
)
async def test_more_bad_parameters_are_named(
    client: httpx.AsyncClient, params: dict[str, str], name: str
) -> None:
    response = await client.get("/v1/allocation", params=params)
    assert response.status_code == 400
    assert response.json()["invalid-params"][0]["name"] == name


async def test_carbon_view_splits_the_node_footprint(client: httpx.AsyncClient) -> None:
    window = f"{HOUR.isoformat()},{HOUR.replace(hour=11).isoformat()}"
    body = (await client.get("/v1/carbon", params={"window": window})).json()
    by_name = {i["name"]: i for i in body["items"]}
    assert set(by_name) == {"shop", "data", "__idle__"}
    assert body["total_co2e_grams"] == pytest.approx(sum(i["co2e_grams"] for i in body["items"]))
    # m5.xlarge in us-east-1 for an hour: CCF puts it around 4-8 g operational + ~2 g embodied.
    assert 4 < body["total_co2e_grams"] < 15
    assert all(i["co2e_marginal_grams"] > 0 for i in body["items"])
    allocation = (await client.get("/v1/allocation", params={"window": window})).json()
    assert allocation["total"]["co2e_grams"] == pytest.approx(body["total_co2e_grams"])
