"""Fixtures of the budgets tests: the schema migrated into PostgreSQL, a running service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_budgets.app import MIGRATIONS, SERVICE, build
from kubeopt_budgets.settings import BudgetsSettings
from kubeopt_common.db.migrations import upgrade_to_head
from kubeopt_common.db.session import create_engine, sessionmaker
from kubeopt_common.runtime import ServiceRuntime, run_service
from kubeopt_common.settings import ApiSettings, DatabaseSettings, NatsSettings

API_TOKEN = "budgets-test-token"


@pytest.fixture(scope="session")
def budgets_pg_url(pg_url: str) -> str:
    """The session's PostgreSQL database with the budgets migrations applied."""
    upgrade_to_head(script_location=MIGRATIONS, url=pg_url, service=SERVICE)
    return pg_url


@pytest.fixture(scope="session")
async def pg_sessions(budgets_pg_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(DatabaseSettings(url=SecretStr(budgets_pg_url)))
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


def make_settings(*, nats_url: str, db_url: str) -> BudgetsSettings:
    return BudgetsSettings(
        nats=NatsSettings(url=nats_url),
        database=DatabaseSettings(url=SecretStr(db_url)),
        api=ApiSettings(port=0, token=SecretStr(API_TOKEN)),
    )


@pytest.fixture
async def running_budgets(nats_url: str, budgets_pg_url: str) -> AsyncIterator[ServiceRuntime]:
    """The budgets service running on the real nats-server and PostgreSQL."""
    runtime = build(make_settings(nats_url=nats_url, db_url=budgets_pg_url))
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
