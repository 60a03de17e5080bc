"""The recommender on a real nats-server and PostgreSQL: usage becomes container history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from nats.aio.client import Client
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import Subject, dead_letter_subject, for_cluster
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_common.settings import DatabaseSettings
from kubeopt_recommender import repository
from kubeopt_recommender.app import MIGRATIONS, SERVICE, USAGE_DURABLE
from kubeopt_recommender.handlers import InboxPruner
from tests.jetstream import DeadLetterInbox, publish_event, publish_raw, wait_until_acked
from tests.recommender.builders import T0, WINDOW, node, sample, usage_event
from tests.recommender.conftest import API_TOKEN


async def _observations(runtime: ServiceRuntime, cluster: str) -> list[dict[str, Any]]:
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://recommender") as client:
        response = await client.get(
            "/v1/observations",
            params={"cluster": cluster},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
    assert response.status_code == 200, response.text
    observations: list[dict[str, Any]] = response.json()["observations"]
    return observations


async def _wait(nc: Client, seq: int) -> None:
    await wait_until_acked(nc, subject=Subject.USAGE_SAMPLED, durable=USAGE_DURABLE, stream_seq=seq)


async def test_usage_windows_build_container_history(
    running_recommender: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"r-{unique}"
    replicas = (
        node("n1", sample(pod="cart-a", cpu_peak_millicores=700)),
        node("n2", sample(pod="cart-b", oom_kills=1)),
    )
    seq = 0
    for i in range(3):
        event = usage_event(cluster=cluster, window_start=T0 + i * WINDOW, nodes=replicas)
        seq = await publish_event(nc, event)
    await _wait(nc, seq)

    [observed] = await _observations(running_recommender, cluster)
    assert (observed["namespace"], observed["workload"], observed["container"]) == (
        "shop",
        "cart",
        "app",
    )
    assert (observed["windows_observed"], observed["samples"]) == (3, 6)
    assert (observed["cpu_peak_millicores"], observed["oom_kills"]) == (700, 3)
    assert datetime.fromisoformat(observed["first_seen"]) == T0
    assert datetime.fromisoformat(observed["last_seen"]) == T0 + 3 * WINDOW
    assert (observed["history_hours"], observed["enough_history"]) == (0.25, False)
    assert observed["findings"]["history"]["history_hours"] == 0.25


async def test_a_duplicate_delivery_is_counted_once(
    running_recommender: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"r-{unique}"
    event = usage_event(cluster=cluster)
    payload = event.model_dump_json().encode()
    # Distinct Nats-Msg-Ids bypass JetStream's dedupe: the inbox must catch the repeat.
    await publish_raw(nc, event.subject, payload, msg_id=f"{event.event_id}-a")
    seq = await publish_raw(nc, event.subject, payload, msg_id=f"{event.event_id}-b")
    await _wait(nc, seq)

    [observed] = await _observations(running_recommender, cluster)
    assert (observed["samples"], observed["windows_observed"]) == (1, 1)


async def test_malformed_message_is_dead_lettered_and_the_next_one_processed(
    running_recommender: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"r-{unique}"
    subject = for_cluster(Subject.USAGE_SAMPLED, cluster)
    inbox = DeadLetterInbox(subject)
    await nc.subscribe(dead_letter_subject(SERVICE, subject), cb=inbox.on_message)

    bad = usage_event(cluster=cluster).model_dump(mode="json")
    bad["window_seconds"] = 0
    await publish_raw(nc, subject, orjson.dumps(bad), msg_id=unique)
    seq = await publish_event(nc, usage_event(cluster=cluster))
    await _wait(nc, seq)

    record = await inbox.first()
    assert record.reason.startswith("invalid UsageSampled: window_seconds")
    [observed] = await _observations(running_recommender, cluster)
    assert observed["samples"] == 1


async def test_inbox_pruner_forgets_old_ids(
    recommender_pg_url: str, pg_sessions: async_sessionmaker[AsyncSession]
) -> None:
    old = usage_event().event_id
    async with unit_of_work(pg_sessions) as session:
        await repository.mark_processed(session, [old], now=datetime(2000, 1, 1, tzinfo=UTC))
    db = Database(
        DatabaseSettings(url=SecretStr(recommender_pg_url)), service=SERVICE, migrations=MIGRATIONS
    )
    await db.start()
    try:
        pruner = InboxPruner(db, retention=timedelta(days=365), interval_s=3600)
        assert await pruner.prune_once() >= 1
    finally:
        await db.stop()
    async with unit_of_work(pg_sessions) as session:
        assert await repository.processed_event_ids(session, {old}) == set()
