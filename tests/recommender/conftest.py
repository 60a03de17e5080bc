"""Fixtures of the recommender tests: the schema migrated into PostgreSQL, running services,
a fake costing price responder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.bus.queries import QueryServer
from kubeopt_common.db.migrations import upgrade_to_head
from kubeopt_common.db.session import create_engine, sessionmaker
from kubeopt_common.queries import NodePriceReply, NodePriceRequest, QuerySubject
from kubeopt_common.runtime import ServiceRuntime, run_service
from kubeopt_common.settings import ApiSettings, DatabaseSettings, NatsSettings
from kubeopt_recommender.app import MIGRATIONS, SERVICE, build
from kubeopt_recommender.settings import (
    CarbonSettings,
    PricingSettings,
    RecommenderSettings,
    RunsSettings,
    VerificationSettings,
)
from tests.recommender.fake_costing import FakeCosting
from tests.recommender.fleet import hourly_profiles

API_TOKEN = "recommender-test-token"


@pytest.fixture(scope="session")
def recommender_pg_url(pg_url: str) -> str:
    """The session's PostgreSQL database with the recommender migrations applied."""
    upgrade_to_head(script_location=MIGRATIONS, url=pg_url, service=SERVICE)
    return pg_url


@pytest.fixture(scope="session")
async def pg_sessions(recommender_pg_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(DatabaseSettings(url=SecretStr(recommender_pg_url)))
    yield sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def db_session(
    pg_sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose work is rolled back after the test (repositories never commit)."""
    async with pg_sessions() as session:
        yield session
        await session.rollback()


def make_settings(*, nats_url: str, db_url: str) -> RecommenderSettings:
    return RecommenderSettings(
        nats=NatsSettings(url=nats_url),
        database=DatabaseSettings(url=SecretStr(db_url)),
        api=ApiSettings(port=0, token=SecretStr(API_TOKEN)),
    )


@pytest.fixture
async def running_recommender(
    nats_url: str, recommender_pg_url: str
) -> AsyncIterator[ServiceRuntime]:
    """The recommender service running on the real nats-server and PostgreSQL."""
    runtime = build(make_settings(nats_url=nats_url, db_url=recommender_pg_url))
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(runtime, stop=stop))
    started = asyncio.create_task(runtime.started.wait())
    await asyncio.wait([task, started], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        started.cancel()
        task.result()
    yield runtime
    stop.set()
    await task


@pytest.fixture
async def costing(nc: Client) -> AsyncIterator[FakeCosting]:
    """A price responder on ``kubeopt.v1.pricing.query`` (costing's real contract)."""
    fake = FakeCosting()
    server = QueryServer(QuerySubject.NODE_PRICES, NodePriceRequest, NodePriceReply, fake.answer)
    subscription = await server.subscribe(nc, queue="costing")
    yield fake
    await subscription.unsubscribe()


def lab_settings(*, nats_url: str, db_url: str, hourly: Path | None = None) -> RecommenderSettings:
    """Settings for the run tests: no schedule, quick price timeouts, optional hourly profiles."""
    base = make_settings(nats_url=nats_url, db_url=db_url)
    return base.model_copy(
        update={
            "runs": RunsSettings(interval_s=0, chunk_size=2),
            "pricing": PricingSettings(timeout_s=1.0),
            "carbon": CarbonSettings(hourly_profiles_file=hourly),
            "verification": VerificationSettings(interval_s=3600),
        }
    )


@pytest.fixture
async def lab_recommender(
    nats_url: str, recommender_pg_url: str, tmp_path: Path
) -> AsyncIterator[ServiceRuntime]:
    """The recommender with the lab settings (hourly carbon profiles), running."""
    hourly = hourly_profiles(tmp_path / "hourly.yaml")
    runtime = build(lab_settings(nats_url=nats_url, db_url=recommender_pg_url, hourly=hourly))
    stop = asyncio.Event()
    task = asyncio.create_task(run_service(runtime, stop=stop))
    started = asyncio.create_task(runtime.started.wait())
    await asyncio.wait([task, started], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        started.cancel()
        task.result()
    yield runtime
    stop.set()
    await task
