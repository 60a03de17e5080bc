"""Fixtures of the notifier tests: the schema migrated into PostgreSQL, running services."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.db.migrations import upgrade_to_head
from kubeopt_common.db.session import create_engine, sessionmaker, unit_of_work
from kubeopt_common.runtime import ServiceRuntime, run_service
from kubeopt_common.settings import ApiSettings, DatabaseSettings, NatsSettings
from kubeopt_notifier.app import MIGRATIONS, SERVICE, build
from kubeopt_notifier.channels.base import ChannelType
from kubeopt_notifier.channels.registry import installed_channel_types
from kubeopt_notifier.domain.routing import RouteConfig
from kubeopt_notifier.models import ChannelRecord
from kubeopt_notifier.settings import ChannelSettings, NotifierSettings, RetrySettings
from tests.notifier.builders import RecordingChannelType

API_TOKEN = "notifier-test-token"
# Fast retries so that the tests see several attempts; no test asserts on durations.
FAST_RETRY = RetrySettings(initial_s=0.05, multiplier=2, max_s=0.2, jitter=0.5, max_attempts=3)
# Every event its own group, sent at once, to every channel.
IMMEDIATE = RouteConfig(channels=["*"], group_by=["..."], group_wait=0, repeat_interval=3600)

StartNotifier = Callable[..., Awaitable[ServiceRuntime]]


@pytest.fixture(scope="session")
def notifier_pg_url(pg_url: str) -> str:
    """The session's PostgreSQL database with the notifier migrations applied."""
    upgrade_to_head(script_location=MIGRATIONS, url=pg_url, service=SERVICE)
    return pg_url


@pytest.fixture(scope="session")
async def pg_sessions(notifier_pg_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(DatabaseSettings(url=SecretStr(notifier_pg_url)))
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


@pytest.fixture
def recording() -> RecordingChannelType:
    return RecordingChannelType()


def make_settings(
    *, nats_url: str, db_url: str, channels: list[ChannelSettings] | None = None, **fields: Any
) -> NotifierSettings:
    defaults: dict[str, Any] = {"route": IMMEDIATE, "retry": FAST_RETRY, "tick_s": 0.2}
    return NotifierSettings(
        nats=NatsSettings(url=nats_url),
        database=DatabaseSettings(url=SecretStr(db_url)),
        api=ApiSettings(port=0, token=SecretStr(API_TOKEN)),
        channels=channels if channels is not None else [ChannelSettings(name="log", type="log")],
        **{**defaults, **fields},
    )


def channel_types(recording: RecordingChannelType) -> Mapping[str, ChannelType]:
    return {**installed_channel_types(), "recording": recording}


@pytest.fixture
async def start_notifier(
    nats_url: str,
    notifier_pg_url: str,
    recording: RecordingChannelType,
    pg_sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[StartNotifier]:
    """Start notifiers on the real nats-server and PostgreSQL; all stop after the test.

    Channels from settings are seeded into the shared database, so each test names its own.
    """
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []
    sessions = pg_sessions

    async def start(**fields: Any) -> ServiceRuntime:
        settings = make_settings(nats_url=nats_url, db_url=notifier_pg_url, **fields)
        runtime = build(settings, channel_types=channel_types(recording))
        stop = asyncio.Event()
        task = asyncio.create_task(run_service(runtime, stop=stop))
        started = asyncio.create_task(runtime.started.wait())
        await asyncio.wait([task, started], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            started.cancel()
            task.result()
        running.append((stop, task))
        return runtime

    yield start
    for stop, task in running:
        stop.set()
        await task
    # Later tests must not send to this test's endpoints (they are gone).
    async with unit_of_work(sessions) as session:
        await session.execute(update(ChannelRecord).values(enabled=False))


def route_for(cluster: str, channels: list[str], **timings: Any) -> RouteConfig:
    """Events of ``cluster`` go to ``channels``; other tests' leftovers only to ``log``."""
    child = {"matchers": [f"cluster={cluster}"], "channels": channels, **timings}
    return RouteConfig.model_validate(
        {**IMMEDIATE.model_dump(by_alias=True), "channels": ["log"], "routes": [child]}
    )
