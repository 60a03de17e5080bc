"""`kubeopt up` with a small scenario: every service, end to end, checked against price × time."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import nats
import pytest

from kubeopt_common.events import BudgetThresholdCrossed, Subject
from tests.builders import make_budget_threshold_crossed
from tests.e2e.conftest import NANO_PER_HOUR, Installation
from tests.e2e.expectations import (
    HOURS,
    costs,
    expected_fleet_cost_nano_usd,
    expected_lb_cost_nano_usd,
    expected_node_bill_nano_usd,
    expected_pv_cost_nano_usd,
    nano,
    query_window,
    rfc3339_pair,
    wait_for_total,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]
# Observations are per workload container (replicas together): web/app, db/postgres,
# etl/worker, agent/agent.
WORKLOAD_CONTAINERS = 4


def api(installation: Installation, service: str, path: str, **params: Any) -> Any:
    url = installation.endpoints()["services"][service]
    response = httpx.get(
        f"{url}{path}",
        params=params,
        headers={"Authorization": f"Bearer {installation.token()}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def eventually(check: Any, *, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_allocated_plus_idle_equals_the_node_bill(installation: Installation) -> None:
    window = rfc3339_pair(*query_window())
    by_node = wait_for_total(installation, window, expected_fleet_cost_nano_usd(), timeout_s=120)
    for item in by_node["items"]:
        pool = item["name"].rsplit("-", 1)[0]
        assets = nano(item["pv_cost"]) + nano(item["load_balancer_cost"])
        assert item["total_cost_nano_usd"] - assets == NANO_PER_HOUR[pool] * HOURS, item["name"]
    items = by_node["items"]
    assert sum(nano(i["pv_cost"]) for i in items) == expected_pv_cost_nano_usd()
    assert sum(nano(i["load_balancer_cost"]) for i in items) == expected_lb_cost_nano_usd()
    by_namespace = costs(installation, "--window", window, "--by", "namespace")
    names = {item["name"] for item in by_namespace["items"]}
    assert names == {"shop", "data", "ops", "__idle__"}
    assert (
        sum(i["total_cost_nano_usd"] for i in by_namespace["items"])
        == expected_fleet_cost_nano_usd()
    )
    assert all(i["price_sources"] == ["override"] for i in by_namespace["items"])


def test_table_and_csv_output(installation: Installation) -> None:
    table = installation.kubeopt("costs", "--window", "1h", "--by", "namespace")
    assert table.returncode == 0, table.stderr
    assert "shop" in table.stdout
    assert "total $" in table.stdout
    csv = installation.kubeopt("costs", "--window", "1h", "--by", "label:team", "--output", "csv")
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines()[0].startswith("name,cpu_cost,ram_cost")


def test_bad_query_is_a_one_line_error(installation: Installation) -> None:
    done = installation.kubeopt("costs", "--window", "soon")
    assert done.returncode == 2
    assert "window" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_budgets_ledger_matches_costing(installation: Installation) -> None:
    start, end = query_window()
    attributed = {
        i["name"]: i["total_cost_nano_usd"]
        for i in costs(installation, "--window", rfc3339_pair(start, end), "--no-idle")["items"]
    }

    def check() -> None:
        spend = api(
            installation, "budgets", "/v1/spend", start=start.isoformat(), end=end.isoformat()
        )
        ledger = {row["namespace"]: row["cost_nano_usd"] for row in spend["namespaces"]}
        assert ledger == attributed

    eventually(check)


def test_recommender_observed_every_container(installation: Installation) -> None:
    def check() -> None:
        body = api(installation, "recommender", "/v1/observations", cluster="e2e", limit=100)
        assert len(body["observations"]) == WORKLOAD_CONTAINERS
        assert all(o["history_hours"] >= 24 for o in body["observations"])
        assert all(o["enough_history"] for o in body["observations"])

    eventually(check)


def test_notifier_delivers_a_budget_crossing(installation: Installation) -> None:
    event = make_budget_threshold_crossed(cluster="e2e")

    async def publish() -> None:
        nc = await nats.connect(installation.endpoints()["nats_url"])
        await nc.jetstream().publish(
            event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.msg_id}
        )
        await nc.drain()

    asyncio.run(publish())

    def check() -> None:
        body = api(installation, "notifier", "/v1/deliveries", event_id=str(event.event_id))
        assert [d["status"] for d in body["deliveries"]] == ["delivered"]

    eventually(check)
    assert BudgetThresholdCrossed.SUBJECT is Subject.BUDGET_THRESHOLD_CROSSED


def test_duplicate_delivery_is_not_counted_twice(installation: Installation) -> None:
    window = rfc3339_pair(*query_window())
    wait_for_total(installation, window, expected_fleet_cost_nano_usd(), timeout_s=120)

    async def redeliver() -> int:
        """Re-publish stored usage messages under new ids: JetStream cannot dedupe them."""
        nc = await nats.connect(installation.endpoints()["nats_url"])
        js = nc.jetstream()
        info = await js.stream_info("KUBEOPT_USAGE")
        first = info.state.first_seq
        for seq in range(first, first + 50):
            stored = await js.get_msg("KUBEOPT_USAGE", seq)
            await js.publish(
                stored.subject or "",
                stored.data or b"",
                headers={"Nats-Msg-Id": f"replay-{uuid.uuid4()}"},
            )
        consumer = await js.consumer_info("KUBEOPT_USAGE", "costing")
        while consumer.num_pending or consumer.num_ack_pending:
            await asyncio.sleep(0.2)
            consumer = await js.consumer_info("KUBEOPT_USAGE", "costing")
        await nc.drain()
        return 50

    assert asyncio.run(redeliver()) == 50
    body = costs(installation, "--window", window, "--by", "node")
    assert body["total"]["total_cost_nano_usd"] == expected_fleet_cost_nano_usd()


def test_assets_and_trends_views(installation: Installation) -> None:
    start, end = query_window()
    wait_for_total(
        installation, rfc3339_pair(start, end), expected_fleet_cost_nano_usd(), timeout_s=120
    )
    done = installation.kubeopt("assets", "--window", rfc3339_pair(start, end), "-o", "json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert {n["node"].rsplit("-", 1)[0] for n in body["nodes"]} == set(NANO_PER_HOUR)
    assert sum(n["cost_nano_usd"] for n in body["nodes"]) == expected_node_bill_nano_usd()
    assert all(n["hours"] == HOURS for n in body["nodes"])
    table = installation.kubeopt("trends", "--window", "2d", "--step", "12h")
    assert table.returncode == 0, table.stderr
    assert "shop" in table.stdout
