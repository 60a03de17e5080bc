"""The background edges: scheduled runs do not pile up, a run degrades without costing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.bus.queries import QueryError
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import Event
from kubeopt_common.queries import NodePriceReply, NodePriceRequest
from kubeopt_common.settings import DatabaseSettings
from kubeopt_recommender.app import MIGRATIONS, SERVICE, _run_defaults
from kubeopt_recommender.domain.rightsizing import PolicyProfile
from kubeopt_recommender.prices import PriceBook
from kubeopt_recommender.runner import ModelCache, RunExecutor, RunScheduler
from kubeopt_recommender.service import runs
from kubeopt_recommender.service.runs import RunScope
from kubeopt_recommender.settings import RecommenderSettings
from tests.recommender.test_runs import seed


@pytest.fixture
async def db(recommender_pg_url: str) -> AsyncIterator[Database]:
    database = Database(
        DatabaseSettings(url=SecretStr(recommender_pg_url)), service=SERVICE, migrations=MIGRATIONS
    )
    await database.start()
    yield database
    await database.stop()


async def no_costing(request: NodePriceRequest) -> NodePriceReply:
    raise QueryError(f"no answer to the price query of {request.cluster}")


async def test_a_scheduled_run_is_not_repeated_within_half_the_interval(
    db: Database, pg_sessions: async_sessionmaker[AsyncSession], unique: str
) -> None:
    cluster = f"sched-{unique}"
    await seed(pg_sessions, cluster)
    published: list[Event] = []

    async def publish(events: Sequence[Event]) -> None:
        published.extend(events)

    defaults = _run_defaults(RecommenderSettings())
    executor = RunExecutor(db, PriceBook(no_costing, ttl_s=0), ModelCache(db), defaults, publish)
    scheduler = RunScheduler(
        db, executor, interval_s=3600, policy=PolicyProfile.SAVINGS, scope=RunScope(cluster)
    )
    run_id = await scheduler.tick()
    assert run_id is not None
    assert await scheduler.tick() is None
    async with asyncio.timeout(60):
        while True:
            async with unit_of_work(db.sessions) as session:
                row = await runs.get_run(session, run_id)
            if row.state in ("completed", "failed"):
                break
            await asyncio.sleep(0.05)
    assert row.state == "completed", row.error
    assert (row.trigger, row.policy) == ("schedule", "savings")
    assert row.stats["price_status"].startswith("unavailable: no answer to the price query")
    assert row.finished_at is not None
    assert row.finished_at <= datetime.now(UTC)
    created = [e for e in published if e.SUBJECT.value.endswith("created")]
    assert len(created) == row.stats["outcomes"]["created"] > 0
    await executor.stop()
