"""Shared fixtures: a real nats-server, a real PostgreSQL database, chDB, unique names."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kubeopt_common.bus.server import EmbeddedNatsServer, NatsServerError
from kubeopt_common.clickhouse.chdb_adapter import ChdbClickHouse
from tests.settings import SuiteSettings

SERVER_FIXTURES = {"nats_server", "nats_url", "pg_url", "clickhouse", "chdb_path", "nc"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Anything that needs a real server is an integration test; nobody can forget the marker."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SERVER_FIXTURES and "e2e" not in item.keywords:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def suite_settings() -> SuiteSettings:
    return SuiteSettings()


def _unavailable(settings: SuiteSettings, what: str) -> None:
    if settings.ci:
        pytest.fail(f"{what} is required when CI=true")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="session")
def nats_server(
    tmp_path_factory: pytest.TempPathFactory, suite_settings: SuiteSettings
) -> Iterator[EmbeddedNatsServer]:
    server = EmbeddedNatsServer(tmp_path_factory.mktemp("nats"))
    try:
        server.start()
    except NatsServerError as err:
        _unavailable(suite_settings, f"nats-server ({err})")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: EmbeddedNatsServer) -> str:
    return nats_server.url


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.drain()


@pytest.fixture(scope="session")
def pg_url(suite_settings: SuiteSettings) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    admin_url = make_url(suite_settings.kubeopt_test_pg_dsn)
    name = f"kubeopt_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:
        admin.dispose()
        _unavailable(suite_settings, f"PostgreSQL at {admin_url.render_as_string()} ({err})")
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one chDB engine path of this test process."""
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture
def clickhouse(chdb_path: Path) -> Iterator[ChdbClickHouse]:
    """chDB with a database of its own for this test."""
    client = ChdbClickHouse(chdb_path, database=f"t_{uuid.uuid4().hex[:12]}")
    yield client
    client.command(f"DROP DATABASE IF EXISTS {client.database}")
    client.close()


@pytest.fixture
def unique() -> str:
    """A short unique token for names of streams, durables, clusters in one test."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def reset_tracer_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test install the global tracer provider; the previous one comes back afterwards.

    OpenTelemetry lets the global provider be set once per process and has no public reset, so
    the set-once guard is replaced for the test (restored afterwards by monkeypatch).
    """
    monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)


@pytest.fixture
def spans(reset_tracer_provider: None) -> Iterator[InMemorySpanExporter]:
    """Finished spans of this test, recorded by a global tracer provider installed for it."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    yield exporter
    provider.shutdown()
