"""A fleet small enough to work out by hand, checked end to end through the HTTP API.

Two AWS nodes in us-east-1 with pinned prices, constant usage over one hour-long window:

* node-1, m5.xlarge (4 vCPU, 16 GiB, us-east-1a) at $0.24/h, 50 % busy:
    pod a: request 1000m / 4 GiB, uses  500m / 2 GiB  → charged 1000m, 4 GiB
    pod b: request  500m / 2 GiB, uses 1500m / 3 GiB  → charged 1500m, 3 GiB
* node-2, m5.large (2 vCPU, 8 GiB, us-east-1b) at $0.12/h, OVER-COMMITTED on CPU:
    pod c: request 1000m / 2 GiB, uses 1500m / 1 GiB  → basis 1500m, 2 GiB
    pod d: request 1500m / 4 GiB, uses  500m / 4 GiB  → basis 1500m, 4 GiB
    Σ CPU bases 3000m > 2000m, so both are scaled to 1000m: nothing of the CPU is idle.
* one flow, pod a → pod c, 10 GB across zones: AWS bills $0.01/GB on each side, both to a.

Node cost splits over CPU and RAM by OpenCost's weights (1 vCPU ≙ 31611/4237 GiB of RAM);
carbon follows the CCF method with the published coefficients quoted below.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client
from pydantic import SecretStr

from kubeopt_common.bus import EventPublisher
from kubeopt_common.bus.server import free_port
from kubeopt_common.events import Endpoint, Flow, FlowsObserved, Provider, WorkloadKind
from kubeopt_common.runtime import ServiceRuntime, run_service
from kubeopt_common.settings import ApiSettings, ClickHouseSettings, NatsSettings
from kubeopt_costing.app import build
from kubeopt_costing.settings import CostingSettings, PricingSettings
from tests.builders import make_container_sample, make_node, make_usage_sampled

GIB = 1024**3
GB = 10**9
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TOKEN = "hand"
CPU_WEIGHT = Fraction(31611, 4237)  # OpenCost: $/vCPU-h ÷ $/GiB-h


def split(node_cost: int, vcpus: int, gib: int) -> tuple[int, int]:
    """(CPU, RAM) cost of a node: CPU gets vcpus·w / (vcpus·w + GiB), floored; RAM the rest."""
    cpu = node_cost * vcpus * CPU_WEIGHT / (vcpus * CPU_WEIGHT + gib)
    return int(cpu), node_cost - int(cpu)


# --- costs by hand (nano-USD) ---------------------------------------------------------------
NODE1, NODE2 = 240_000_000, 120_000_000  # $0.24 and $0.12 for the hour
CPU1, RAM1 = split(NODE1, 4, 16)
CPU2, RAM2 = split(NODE2, 2, 8)
EXPECTED_COST = {
    "a": CPU1 * 1000 // 4000 + RAM1 * 4 // 16,
    "b": CPU1 * 1500 // 4000 + RAM1 * 3 // 16,
    "c": CPU2 * 1500 // 3000 + RAM2 * 2 // 8,  # over-committed: denominator 3000m, not 2000m
    "d": CPU2 * 1500 // 3000 + RAM2 * 4 // 8,
}
IDLE1 = NODE1 - EXPECTED_COST["a"] - EXPECTED_COST["b"]
IDLE2 = NODE2 - EXPECTED_COST["c"] - EXPECTED_COST["d"]
NETWORK = 10 * 10_000_000 * 2  # 10 GB × $0.01 (10,000,000 nano-USD) × both sides = $0.20

# --- carbon by hand (µg CO2e), CCF: W/vCPU = min + util × (max − min); Skylake 0.65–4.26 W ----
PUE, GRID = Fraction("1.135"), Fraction("379.069")  # AWS PUE; us-east-1 (eGRID2020 SERC) g/kWh
MEMORY_KWH_PER_GIB_H = Fraction("0.000392")
EMBODIED_M5_KG = Fraction("1610.79")  # whole m5 server; share = vCPUs / 96, lifespan 35,040 h


def ug(kwh: Fraction) -> Fraction:
    return kwh * PUE * GRID * 1_000_000


def node_carbon(vcpus: int, util: Fraction, gib: int) -> tuple[Fraction, Fraction]:
    """(compute + embodied, memory) µg for one hour."""
    watts = vcpus * (Fraction("0.65") + util * (Fraction("4.26") - Fraction("0.65")))
    compute = ug(watts / 1000)
    embodied = EMBODIED_M5_KG * 1_000_000_000 * vcpus / 96 / 35_040
    return compute + embodied, ug(gib * MEMORY_KWH_PER_GIB_H)


CO2_CPU1, CO2_MEM1 = node_carbon(4, Fraction(2000, 4000), 16)
CO2_CPU2, CO2_MEM2 = node_carbon(2, Fraction(1), 8)
EXPECTED_CO2 = {
    "a": CO2_CPU1 * 1000 / 4000 + CO2_MEM1 * 4 / 16,
    "b": CO2_CPU1 * 1500 / 4000 + CO2_MEM1 * 3 / 16,
    "c": CO2_CPU2 * 1500 / 3000 + CO2_MEM2 * 2 / 8,
    "d": CO2_CPU2 * 1500 / 3000 + CO2_MEM2 * 4 / 8,
}


def pod(name: str, cpu_req: int, cpu_use: int, mem_req_gib: int, mem_use_gib: int) -> Any:
    return make_container_sample(
        namespace="hand",
        pod=name,
        workload=name,
        container="main",
        labels={},
        cpu_request_millicores=cpu_req,
        cpu_usage_millicores=cpu_use,
        memory_request_bytes=mem_req_gib * GIB,
        memory_usage_bytes=mem_use_gib * GIB,
    )


def fleet(cluster: str) -> tuple[Any, FlowsObserved]:
    node1 = make_node(
        name="node-1",
        instance_type="m5.xlarge",
        zone="us-east-1a",
        cpu_capacity_millicores=4000,
        memory_capacity_bytes=16 * GIB,
    )
    node2 = make_node(
        name="node-2",
        instance_type="m5.large",
        zone="us-east-1b",
        cpu_capacity_millicores=2000,
        memory_capacity_bytes=8 * GIB,
    )
    usage = make_usage_sampled(
        [
            (node1, [pod("a", 1000, 500, 4, 2), pod("b", 500, 1500, 2, 3)]),
            (node2, [pod("c", 1000, 1500, 2, 1), pod("d", 1500, 500, 4, 4)]),
        ],
        cluster=cluster,
        window_start=T0,
        window_seconds=3600,
    )

    def end(name: str, node: str, zone: str) -> Endpoint:
        return Endpoint(
            namespace="hand",
            workload_kind=WorkloadKind.DEPLOYMENT,
            workload=name,
            pod=name,
            node=node,
            zone=zone,
            region="us-east-1",
        )

    flows = FlowsObserved.create(
        cluster=cluster,
        producer="test",
        provider=Provider.AWS,
        region="us-east-1",
        window_start=T0,
        window_seconds=3600,
        flows=(
            Flow(
                src=end("a", "node-1", "us-east-1a"),
                dst=end("c", "node-2", "us-east-1b"),
                bytes_sent=10 * GB,
            ),
        ),
    )
    return usage, flows


@pytest.fixture
async def api(nats_url: str, chdb_path: Path, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "source: pinned for the hand-computed test\noverrides:\n"
        "  - {instance_type: m5.xlarge, hourly_usd: '0.24'}\n"
        "  - {instance_type: m5.large, hourly_usd: '0.12'}\n"
    )
    settings = CostingSettings(
        nats=NatsSettings(url=nats_url),
        api=ApiSettings(port=free_port(), token=SecretStr(TOKEN)),
        clickhouse=ClickHouseSettings(
            mode="chdb", path=chdb_path, database=f"h_{uuid.uuid4().hex[:8]}"
        ),
        pricing=PricingSettings(overrides_file=prices),
        raw_retention_days=3650,
        rollup_retention_days=3650,
    )
    runtime: ServiceRuntime = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(runtime, stop=stop))
    await asyncio.wait_for(runtime.started.wait(), timeout=30)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{settings.api.port}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        yield client
    stop.set()
    await asyncio.wait_for(task, timeout=30)


async def test_hand_computed_fleet_through_the_api(api: httpx.AsyncClient, nc: Client) -> None:
    cluster = f"hand-{uuid.uuid4().hex[:6]}"
    usage, flows = fleet(cluster)
    await EventPublisher(nc).publish_many([usage, flows])
    window = f"{T0.isoformat()},{(T0 + timedelta(hours=1)).isoformat()}"
    params = {"window": window, "aggregate": "pod", "cluster": cluster}
    async with asyncio.timeout(30):
        while True:
            body = (await api.get("/v1/allocation", params=params)).json()
            network = (
                await api.get("/v1/network", params={"window": window, "group": "pair"})
            ).json()
            if Decimal(body["total"]["network_cost"]) and network["items"]:
                break
            await asyncio.sleep(0.2)

    costs = {i["name"]: i["total_cost_nano_usd"] for i in body["items"]}
    # Idle rows have no pod; pod a sent the cross-zone flow, so its network cost is a's.
    assert costs == {**EXPECTED_COST, "a": EXPECTED_COST["a"] + NETWORK, "": IDLE1 + IDLE2}
    assert body["total"]["total_cost_nano_usd"] == NODE1 + NODE2 + NETWORK
    network_cost = {i["name"]: Decimal(i["network_cost"]) for i in body["items"]}
    assert network_cost["a"] == Decimal(NETWORK) / 10**9
    assert sum(network_cost.values()) == Decimal(NETWORK) / 10**9

    assets = {
        n["node"]: n
        for n in (await api.get("/v1/assets", params={"window": window})).json()["nodes"]
    }
    assert assets["node-1"]["cost_nano_usd"] == NODE1
    assert assets["node-2"]["cost_nano_usd"] == NODE2
    assert round(float(assets["node-1"]["idle_cost"]) * 1e9) == IDLE1
    # Over-committed node-2: its CPU is fully allocated, only a flooring crumb of it stays idle.
    cpu_idle2 = CPU2 - 2 * (CPU2 * 1500 // 3000)
    assert cpu_idle2 <= 1
    assert cpu_idle2 + RAM2 - RAM2 * 2 // 8 - RAM2 * 4 // 8 == IDLE2
    assert round(float(assets["node-2"]["idle_cost"]) * 1e9) == IDLE2

    (pair,) = network["items"]
    assert pair["properties"]["src_workload"] == "a"
    assert pair["properties"]["dst_workload"] == "c"
    assert pair["cost_nano_usd"] == NETWORK

    carbon = (await api.get("/v1/carbon", params={**params})).json()
    grams = {i["name"]: i["co2e_grams"] for i in carbon["items"]}
    for name, expected_ug in EXPECTED_CO2.items():
        # Floors in the engine's integer µg arithmetic move each figure by at most a few µg.
        assert abs(grams[name] * 1_000_000 - float(expected_ug)) <= 4, name
    node_totals = float(CO2_CPU1 + CO2_MEM1 + CO2_CPU2 + CO2_MEM2)
    assert abs(carbon["total_co2e_grams"] * 1_000_000 - node_totals) / node_totals < 0.01
