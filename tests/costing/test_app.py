"""The costing service wired to a real nats-server and chDB: usage in, spend.updated out."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel, SecretStr

from kubeopt_common.bus import EventPublisher
from kubeopt_common.bus.queries import QueryError, ask
from kubeopt_common.bus.server import free_port
from kubeopt_common.events import DeadLetter, Provider, SpendUpdated, Subject
from kubeopt_common.plugins import PluginError
from kubeopt_common.queries import NodePriceReply, NodePriceRequest, QuerySubject
from kubeopt_common.runtime import ServiceRuntime, run_service
from kubeopt_common.settings import ApiSettings, ClickHouseSettings, NatsSettings
from kubeopt_costing.app import build
from kubeopt_costing.settings import CostingSettings, IngestSettings, PricingSettings
from tests.builders import make_node
from tests.costing.fleet import node_a, usage

TOKEN = "t0ken"


class PricesQueryProbe(BaseModel):
    """A request that is valid JSON but not a NodePriceRequest."""

    nodes: list[str] = ["not-a-node"]


@pytest.fixture
def ingest() -> IngestSettings:
    return IngestSettings()


@pytest.fixture
async def costing(
    nats_url: str, chdb_path: Path, ingest: IngestSettings
) -> AsyncIterator[ServiceRuntime]:
    settings = CostingSettings(
        nats=NatsSettings(url=nats_url),
        api=ApiSettings(port=free_port(), token=SecretStr(TOKEN)),
        clickhouse=ClickHouseSettings(
            mode="chdb", path=chdb_path, database=f"c_{uuid.uuid4().hex[:8]}"
        ),
        ingest=ingest,
        raw_retention_days=3650,
        rollup_retention_days=3650,
    )
    runtime = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(runtime, stop=stop))
    await asyncio.wait_for(runtime.started.wait(), timeout=30)
    yield runtime
    stop.set()
    await asyncio.wait_for(task, timeout=30)


async def test_usage_becomes_spend_events_and_answers_queries(
    costing: ServiceRuntime, nc: Client
) -> None:
    cluster = f"t-{uuid.uuid4().hex[:8]}"
    spend: list[SpendUpdated] = []

    async def collect(msg: Msg) -> None:
        spend.append(SpendUpdated.model_validate_json(msg.data))

    await nc.subscribe(f"{Subject.SPEND_UPDATED.value}.{cluster}", cb=collect)
    publisher = EventPublisher(nc)
    batches = [usage(m, cluster=cluster) for m in range(3)]
    await publisher.publish_many(batches)
    await publisher.publish_many(batches[:1])  # duplicate publish: deduplicated by Nats-Msg-Id
    url = f"http://127.0.0.1:{costing.api_settings.port}"
    window = "2026-11-20T10:00:00Z,2026-11-20T11:00:00Z"
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:

        async def by_namespace() -> dict[str, int]:
            response = await client.get(
                "/v1/allocation",
                params={"window": window, "cluster": cluster, "include_idle": "false"},
            )
            return {i["name"]: i["total_cost_nano_usd"] for i in response.json()["items"]}

        async with asyncio.timeout(30):
            while (
                sum((await by_namespace()).values()) == 0
                or len(spend) < 2
                or max(e.cost_nano_usd for e in spend if e.namespace == "shop")
                < (await by_namespace())["shop"]
            ):
                await asyncio.sleep(0.2)
        attributed = await by_namespace()
        node_total = (
            await client.get(
                "/v1/allocation",
                params={"window": window, "aggregate": "cluster", "cluster": cluster},
            )
        ).json()["total"]
        assert (
            node_total["total_cost_nano_usd"] == 3 * 192_000_000 // 60
        )  # 3 minutes of one node, once
        for namespace, cost in attributed.items():
            assert max(e.cost_nano_usd for e in spend if e.namespace == namespace) == cost
        assert (await client.get("/readyz")).status_code == 200
        assert "kubeopt_bus_messages_processed" in (await client.get("/metrics")).text


@pytest.mark.parametrize("ingest", [IngestSettings(batch_size=2, in_flight=3)])
async def test_with_batches_in_flight_the_last_total_published_is_the_whole_hour(
    costing: ServiceRuntime, nc: Client
) -> None:
    cluster = f"t-{uuid.uuid4().hex[:8]}"
    received: list[SpendUpdated] = []

    async def collect(msg: Msg) -> None:
        received.append(SpendUpdated.model_validate_json(msg.data))

    await nc.subscribe(f"{Subject.SPEND_UPDATED.value}.{cluster}", cb=collect)
    # 40 one-minute batches of one hour, two per fetch, three fetches in their handlers at once.
    await EventPublisher(nc).publish_many([usage(m, cluster=cluster) for m in range(40)])
    window = "2026-11-20T10:00:00Z,2026-11-20T11:00:00Z"
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{costing.api_settings.port}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:

        async def allocation(**params: str) -> dict[str, Any]:
            response = await client.get(
                "/v1/allocation", params={"window": window, "cluster": cluster, **params}
            )
            body: dict[str, Any] = response.json()
            return body

        async with asyncio.timeout(60):  # every batch stored
            while (await allocation(aggregate="cluster"))["total"]["total_cost_nano_usd"] != 40 * (
                192_000_000 // 60
            ):
                await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # the last totals are published after the last write
        items = (await allocation(include_idle="false"))["items"]
    final = {i["name"]: i["total_cost_nano_usd"] for i in items}
    assert set(final) == {"shop", "data"}
    for namespace, total in final.items():
        published = [e.cost_nano_usd for e in received if e.namespace == namespace]
        assert published[-1] == total, (namespace, published[-5:])


async def test_trace_runs_from_publish_to_the_clickhouse_write(
    spans: InMemorySpanExporter, costing: ServiceRuntime, nc: Client
) -> None:
    # ``spans`` comes first: the tracer provider must exist before the service builds its
    # tracers, as it does in production (tracing is configured before build).
    cluster = f"t-{uuid.uuid4().hex[:8]}"
    with trace.get_tracer("test").start_as_current_span("collector.window") as root:
        await EventPublisher(nc).publish(usage(0, cluster=cluster))
    trace_id = root.get_span_context().trace_id
    wanted = {"clickhouse.insert cost_allocation", f"process {Subject.USAGE_SAMPLED.value}"}
    async with asyncio.timeout(30):  # the parent "process" span ends after the insert span
        while not wanted <= {s.name for s in spans.get_finished_spans()}:
            await asyncio.sleep(0.1)
    by_name = {s.name: s for s in spans.get_finished_spans()}
    insert = by_name["clickhouse.insert cost_allocation"]
    process = by_name[f"process {Subject.USAGE_SAMPLED.value}"]
    assert insert.context is not None
    assert process.context is not None
    assert insert.context.trace_id == process.context.trace_id == trace_id
    assert insert.parent is not None
    assert insert.parent.span_id == process.context.span_id


def test_unknown_cost_model_is_refused_naming_the_choices(chdb_path: Path) -> None:
    settings = CostingSettings(
        pricing=PricingSettings(cost_model="spreadsheet"),
        clickhouse=ClickHouseSettings(mode="chdb", path=chdb_path, database="unused"),
    )
    with pytest.raises(
        PluginError,
        match=r"no kubeopt.cost_models plugin named 'spreadsheet' \(available: catalog\)",
    ):
        build(settings)


async def test_node_prices_answer_over_nats(costing: ServiceRuntime, nc: Client) -> None:
    request = NodePriceRequest(
        cluster="prod",
        provider=Provider.AWS,
        region="us-east-1",
        nodes=(node_a(), make_node(name="odd", instance_type="x9.mystery")),
    )
    reply = await ask(nc, QuerySubject.NODE_PRICES, request, NodePriceReply)
    m5, odd = reply.quotes
    assert (m5.hourly_nano_usd, m5.on_demand_hourly_nano_usd, m5.spot_hourly_nano_usd) == (
        192_000_000,
        192_000_000,
        75_200_000,
    )
    assert m5.source == "catalog"
    # The unit prices re-assemble the node price (flooring loses at most a nano-dollar each).
    assert (
        0
        <= 192_000_000 - (4 * m5.cpu_nano_usd_per_vcpu_hour + 16 * m5.ram_nano_usd_per_gib_hour)
        <= 20
    )
    assert odd.source == "default"
    assert odd.hourly_nano_usd > 0


async def test_a_malformed_price_query_gets_an_error_reply(
    costing: ServiceRuntime, nc: Client
) -> None:
    msg = await nc.request(QuerySubject.NODE_PRICES.value, b'{"cluster": "prod"}', timeout=10)
    reply = NodePriceReply.model_validate_json(msg.data)
    assert reply.error.startswith("invalid request: provider")
    with pytest.raises(QueryError, match="invalid request"):
        await ask(nc, QuerySubject.NODE_PRICES, PricesQueryProbe(), NodePriceReply)


async def test_bad_samples_are_dead_lettered_and_the_rest_is_priced(
    costing: ServiceRuntime, nc: Client
) -> None:
    cluster = f"t-{uuid.uuid4().hex[:8]}"
    event = usage(0, cluster=cluster)
    doc = json.loads(event.model_dump_json())
    doc["nodes"][0]["containers"]["cpu_usage_millicores"][1] = -5  # etl's usage is impossible
    dead: list[DeadLetter] = []

    async def collect(msg: Msg) -> None:
        dead.append(DeadLetter.model_validate_json(msg.data))

    await nc.subscribe("kubeopt.v1.deadletter.costing.usage", cb=collect)
    await nc.jetstream().publish(
        event.subject, json.dumps(doc).encode(), headers={"Nats-Msg-Id": str(uuid.uuid4())}
    )
    url = f"http://127.0.0.1:{costing.api_settings.port}"
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        params = {
            "window": "2026-11-20T10:00:00Z,2026-11-20T11:00:00Z",
            "aggregate": "workload",
            "cluster": cluster,
            "include_idle": "false",
        }
        async with asyncio.timeout(30):
            while not (
                items := (await client.get("/v1/allocation", params=params)).json()["items"]
            ):
                await asyncio.sleep(0.2)
    assert [i["name"] for i in items] == ["web"]  # etl was rejected, web was priced
    async with asyncio.timeout(10):
        while not dead:
            await asyncio.sleep(0.1)
    assert dead[0].reason.startswith(
        "rejected 1 item(s): node-a/data/etl-1/main: cpu_usage_millicores: -5 is negative"
    )
    assert json.loads(dead[0].original_bytes()) == doc  # nothing of the original is lost
