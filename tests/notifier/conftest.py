"""Fixtures of the notifier tests: the schema migrated into PostgreSQL, a running service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.db.migrations import upgrade_to_head
from kubeopt_common.db.session import create_engine, sessionmaker
from kubeopt_common.runtime import ServiceRuntime, run_service
from kubeopt_common.settings import ApiSettings, DatabaseSettings, NatsSettings
from kubeopt_notifier.app import MIGRATIONS, SERVICE, build
from kubeopt_notifier.channels.base import ChannelType
from kubeopt_notifier.channels.log import LogChannel
from kubeopt_notifier.settings import ChannelSettings, NotifierSettings
from tests.notifier.builders import RecordingChannelType

API_TOKEN = "notifier-test-token"


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
    *, nats_url: str, db_url: str, channels: list[ChannelSettings] | None = None
) -> NotifierSettings:
    return NotifierSettings(
        nats=NatsSettings(url=nats_url),
        database=DatabaseSettings(url=SecretStr(db_url)),
        api=ApiSettings(port=0, token=SecretStr(API_TOKEN)),
        channels=channels
        or [
            ChannelSettings(name="log", type="log"),
            ChannelSettings(name="audit", type="recording"),
            ChannelSettings(name="flaky", type="recording", params={"failures": 1}),
            ChannelSettings(name="muted", type="recording", enabled=False),
        ],
    )


def channel_types(recording: RecordingChannelType) -> Mapping[str, ChannelType]:
    return {"log": LogChannel, "recording": recording}


@pytest.fixture
async def running_notifier(
    nats_url: str, notifier_pg_url: str, recording: RecordingChannelType
) -> AsyncIterator[ServiceRuntime]:
    """The notifier on the real nats-server and PostgreSQL, with recording test channels."""
    settings = make_settings(nats_url=nats_url, db_url=notifier_pg_url)
    runtime = build(settings, channel_types=channel_types(recording))
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
