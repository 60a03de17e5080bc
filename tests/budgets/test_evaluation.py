"""Crossings on a real nats-server and PostgreSQL: exactly once under redelivery, two
replicas on one durable, restarts; period rollover across DST; namespace label selectors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_budgets.app import INVENTORY_DURABLE, SPEND_DURABLE, build
from kubeopt_budgets.domain.budget import Basis, Threshold, crossing_event_id
from kubeopt_budgets.models import Crossing
from kubeopt_common.bus.streams import stream_for
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import BudgetThresholdCrossed, Subject, for_cluster
from kubeopt_common.runtime import ServiceRuntime, run_service
from tests.budgets.builders import spend_event
from tests.budgets.conftest import API_TOKEN, make_settings
from tests.builders import make_inventory_snapshotted, make_namespace
from tests.jetstream import publish_event, publish_raw, wait_until_acked

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
HOUR = timedelta(hours=1)
CENT = 10_000_000  # nano-USD


async def create_budget(runtime: ServiceRuntime, **fields: Any) -> dict[str, Any]:
    assert runtime.api is not None
    body: dict[str, Any] = {"period": {"kind": "monthly"}, "amount": "1", **fields}
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://budgets") as client:
        response = await client.post("/v1/budgets", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def recent_period() -> dict[str, Any]:
    """A 30-day custom period that started 5 days ago: the last days' windows are inside."""
    return {
        "kind": "custom",
        "start": str(datetime.now(UTC).date() - timedelta(days=5)),
        "length_days": 30,
    }


async def crossings_in_stream(nc: Client, cluster: str) -> list[BudgetThresholdCrossed]:
    """Every crossing JetStream stored for ``cluster`` (duplicates it dropped are not there)."""
    js = nc.jetstream()
    subject = for_cluster(Subject.BUDGET_THRESHOLD_CROSSED, cluster)
    sub = await js.pull_subscribe(subject, stream=stream_for(Subject.BUDGET_THRESHOLD_CROSSED).name)
    events: list[BudgetThresholdCrossed] = []
    try:
        while True:
            for msg in await sub.fetch(100, timeout=0.5):
                events.append(BudgetThresholdCrossed.model_validate_json(msg.data))
                await msg.ack()
    except (NatsTimeoutError, TimeoutError):
        pass
    await sub.unsubscribe()
    return events


async def _wait_spend(nc: Client, seq: int) -> None:
    await wait_until_acked(nc, subject=Subject.SPEND_UPDATED, durable=SPEND_DURABLE, stream_seq=seq)


async def test_a_crossing_is_published_once_whatever_the_redeliveries(
    running_budgets: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"x-{unique}"
    budget = await create_budget(
        running_budgets,
        name=f"once-{unique}",
        scope={"clusters": [cluster]},
        period=recent_period(),
        thresholds=[{"pct": 50}, {"pct": 100}],
        labels={"team": "shop"},
    )
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    event = spend_event(cluster=cluster, window_start=now - HOUR, cost_nano_usd=60 * CENT)
    payload = event.model_dump_json().encode()
    # Three copies under distinct Nats-Msg-Ids: JetStream delivers all three.
    for copy in "abc":
        seq = await publish_raw(nc, event.subject, payload, msg_id=f"{event.event_id}-{copy}")
    # A smaller running total of the same window changes nothing either.
    seq = await publish_event(
        nc, spend_event(cluster=cluster, window_start=now - HOUR, cost_nano_usd=10 * CENT)
    )
    await _wait_spend(nc, seq)

    crossings = await crossings_in_stream(nc, cluster)
    assert [(c.threshold_pct, c.basis) for c in crossings] == [(50, "actual")]
    crossing = crossings[0]
    assert crossing.budget_id == budget["id"]
    assert crossing.spend_to_date_nano_usd == 60 * CENT
    assert crossing.labels == {"team": "shop"}
    assert crossing.scope == f"cluster={cluster}"
    assert crossing.event_id == crossing_event_id(
        budget["id"], crossing.period_start, Threshold(50, Basis.ACTUAL)
    )


async def _start(runtime: ServiceRuntime) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(runtime, stop=stop))
    started = asyncio.create_task(runtime.started.wait())
    await asyncio.wait([task, started], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        started.cancel()
        task.result()
    return stop, task


@pytest.fixture
async def two_replicas(
    nats_url: str, budgets_pg_url: str
) -> AsyncIterator[tuple[ServiceRuntime, ServiceRuntime]]:
    """Two budgets services on the same durable consumer and database."""
    runtimes = [build(make_settings(nats_url=nats_url, db_url=budgets_pg_url)) for _ in range(2)]
    started = [await _start(r) for r in runtimes]
    yield runtimes[0], runtimes[1]
    for stop, task in started:
        stop.set()
        await task


async def test_two_replicas_on_one_durable_emit_each_crossing_once(
    two_replicas: tuple[ServiceRuntime, ServiceRuntime], nc: Client, unique: str
) -> None:
    cluster = f"r-{unique}"
    # 1 USD; thresholds every 2 %: 100 windows of 1 cent cross all 50, some only together.
    await create_budget(
        two_replicas[0],
        name=f"pair-{unique}",
        scope={"clusters": [cluster], "namespaces": ["shop", "ads"]},
        period=recent_period(),
        thresholds=[{"pct": p} for p in range(2, 101, 2)],
    )
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    events = [
        spend_event(
            cluster=cluster,
            namespace=("shop", "ads")[i % 2],
            window_start=now - (i // 2 + 1) * HOUR,
            cost_nano_usd=CENT,
        )
        for i in range(100)
    ]
    # Every event twice, under distinct message ids: redelivery on top of concurrency.
    results = await asyncio.gather(
        *(
            publish_raw(nc, e.subject, e.model_dump_json().encode(), msg_id=f"{e.event_id}-{n}")
            for e in events
            for n in (1, 2)
        )
    )
    await _wait_spend(nc, max(results))

    crossings = await crossings_in_stream(nc, cluster)
    assert sorted(c.threshold_pct for c in crossings) == list(range(2, 101, 2))
    assert len({c.event_id for c in crossings}) == 50
    assert max(c.spend_to_date_nano_usd for c in crossings) == 100 * CENT


async def test_a_committed_crossing_is_published_on_start(
    nats_url: str,
    budgets_pg_url: str,
    pg_sessions: async_sessionmaker[AsyncSession],
    nc: Client,
    unique: str,
) -> None:
    """A crash between commit and publish leaves the row unpublished: the next start relays
    it under its deterministic id, and a later restart does not publish it again."""
    cluster = f"c-{unique}"
    period_start = datetime(2026, 11, 1, tzinfo=UTC)
    threshold = Threshold(80, Basis.ACTUAL)
    event_id = crossing_event_id(f"b-{unique}", period_start, threshold)
    async with unit_of_work(pg_sessions) as session:
        session.add(
            Crossing(
                event_id=event_id,
                budget_id=f"b-{unique}",
                period_start=period_start,
                threshold_pct=80,
                basis="actual",
                period_end=period_start + timedelta(days=30),
                budget_name=f"crashed-{unique}",
                scope="namespace=shop",
                cluster=cluster,
                amount_nano_usd=100,
                spend_to_date_nano_usd=85,
                forecast_nano_usd=120,
                currency="USD",
                labels={},
                crossed_at=datetime.now(UTC) - timedelta(minutes=1),
                published_at=None,
            )
        )
    for _ in range(2):
        runtime = build(make_settings(nats_url=nats_url, db_url=budgets_pg_url))
        stop, task = await _start(runtime)
        async with asyncio.timeout(30):
            while True:
                async with unit_of_work(pg_sessions) as session:
                    row = await session.get(Crossing, event_id)
                    assert row is not None
                    if row.published_at is not None:
                        break
                await asyncio.sleep(0.05)
        stop.set()
        await task

    crossings = await crossings_in_stream(nc, cluster)
    assert [(c.event_id, c.budget_name, c.spend_to_date_nano_usd) for c in crossings] == [
        (event_id, f"crashed-{unique}", 85)
    ]


async def test_daily_periods_roll_over_at_local_midnight_across_dst(
    running_budgets: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"d-{unique}"
    await create_budget(
        running_budgets,
        name=f"dst-{unique}",
        scope={"clusters": [cluster]},
        period={"kind": "daily"},
        time_zone="Europe/Berlin",
        thresholds=[{"pct": 100}],
    )
    # Berlin springs forward on 2027-03-28: that local day is 23 hours long. 21:30 UTC is
    # still 28 March (23:30 CEST); 22:30 UTC is already 29 March.
    late = datetime(2027, 3, 28, 21, 30, tzinfo=UTC)
    events = [
        spend_event(cluster=cluster, window_start=late, cost_nano_usd=100 * CENT),
        spend_event(cluster=cluster, window_start=late + HOUR, cost_nano_usd=100 * CENT),
    ]
    seq = 0
    for event in events:
        seq = await publish_event(nc, event)
    await _wait_spend(nc, seq)

    crossings = sorted(await crossings_in_stream(nc, cluster), key=lambda c: c.period_start)
    assert [(c.period_start, c.period_end) for c in crossings] == [
        (datetime(2027, 3, 27, 23, tzinfo=UTC), datetime(2027, 3, 28, 22, tzinfo=UTC)),
        (datetime(2027, 3, 28, 22, tzinfo=UTC), datetime(2027, 3, 29, 22, tzinfo=UTC)),
    ]


async def test_label_selectors_use_namespace_labels_from_inventory(
    running_budgets: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"l-{unique}"
    await create_budget(
        running_budgets,
        name=f"labels-{unique}",
        scope={"clusters": [cluster], "namespace_selector": "team=shop"},
        period=recent_period(),
        thresholds=[{"pct": 10}],
    )
    inventory = make_inventory_snapshotted(
        cluster=cluster,
        taken_at=datetime.now(UTC),
        namespaces=(
            make_namespace(name="shop-web", labels={"team": "shop"}),
            make_namespace(name="ads", labels={"team": "ads"}),
        ),
    )
    inv_seq = await publish_event(nc, inventory)
    await wait_until_acked(
        nc, subject=Subject.INVENTORY_SNAPSHOTTED, durable=INVENTORY_DURABLE, stream_seq=inv_seq
    )
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    seq = 0
    for namespace in ("ads", "unknown", "shop-web"):
        seq = await publish_event(
            nc,
            spend_event(
                cluster=cluster,
                namespace=namespace,
                window_start=now - HOUR,
                cost_nano_usd=20 * CENT,
            ),
        )
    await _wait_spend(nc, seq)

    crossings = await crossings_in_stream(nc, cluster)
    assert [(c.threshold_pct, c.spend_to_date_nano_usd) for c in crossings] == [(10, 20 * CENT)]
    assert crossings[0].scope == f"cluster={cluster} labels(team=shop)"
    assert uuid.UUID(str(crossings[0].event_id))
