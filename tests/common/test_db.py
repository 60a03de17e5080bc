"""Relational plumbing on SQLite and PostgreSQL: migrations, the unit of work, UTC timestamps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import SecretStr
from sqlalchemy import Column, Integer, String, Table, create_engine, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from kubeopt_common.db.base import UtcDateTime, metadata
from kubeopt_common.db.migrations import sync_url, upgrade_to_head
from kubeopt_common.db.session import create_engine as create_async_engine
from kubeopt_common.db.session import sessionmaker, unit_of_work
from kubeopt_common.settings import DatabaseSettings

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.integration),
]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An async SQLAlchemy URL: a fresh SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'state' / 'state.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def engine(db_url: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    (tmp_path / "state").mkdir(exist_ok=True)
    engine = create_async_engine(DatabaseSettings(url=SecretStr(db_url)))
    yield engine
    await engine.dispose()


def _events_table(unique: str) -> Table:
    return Table(
        f"events_{unique}",
        metadata(),
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        Column("at", UtcDateTime(), nullable=True),
    )


async def _create(engine: AsyncEngine, table: Table) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)


# ----------------------------------------------------------------------------- migrations
def _script_directory(root: Path, table: str) -> Path:
    scripts = root / "migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "env.py").write_text(
        dedent(
            """
            from kubeopt_common.db.base import metadata
            from kubeopt_common.db.migrations import run_migrations

            run_migrations(metadata())
            """
        )
    )
    (scripts / "versions" / "0001_create.py").write_text(
        dedent(
            f"""
            import sqlalchemy as sa
            from alembic import op

            revision = "0001"
            down_revision = None
            branch_labels = None
            depends_on = None


            def upgrade() -> None:
                op.create_table(
                    "{table}",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(50), nullable=False),
                )


            def downgrade() -> None:
                op.drop_table("{table}")
            """
        )
    )
    return scripts


def test_upgrade_to_head_applies_the_history_with_a_version_table_per_service(
    db_url: str, tmp_path: Path, unique: str
) -> None:
    service, table = f"svc_{unique}", f"widgets_{unique}"
    scripts = _script_directory(tmp_path, table)

    upgrade_to_head(script_location=scripts, url=db_url, service=service)
    upgrade_to_head(script_location=scripts, url=db_url, service=service)  # idempotent

    engine = create_engine(sync_url(db_url))
    try:
        tables = set(inspect(engine).get_table_names())
        assert {table, f"alembic_version_{service}"} <= tables
        assert "alembic_version" not in tables
        with engine.connect() as conn:
            versions = conn.execute(text(f"SELECT version_num FROM alembic_version_{service}"))  # noqa: S608
            assert versions.scalars().all() == ["0001"]
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- unit of work
async def test_unit_of_work_commits_when_the_block_succeeds(
    engine: AsyncEngine, unique: str
) -> None:
    table = _events_table(unique)
    await _create(engine, table)
    factory = sessionmaker(engine)

    async with unit_of_work(factory) as session:
        await session.execute(table.insert().values(id=1, name="kept"))

    async with factory() as session:
        names = (await session.execute(select(table.c.name))).scalars().all()
    assert names == ["kept"]


async def test_unit_of_work_rolls_back_when_the_block_raises(
    engine: AsyncEngine, unique: str
) -> None:
    table = _events_table(unique)
    await _create(engine, table)
    factory = sessionmaker(engine)

    async def handler_that_fails_after_writing() -> None:
        async with unit_of_work(factory) as session:
            await session.execute(table.insert().values(id=1, name="discarded"))
            await session.flush()
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError, match="handler failed"):
        await handler_that_fails_after_writing()

    async with factory() as session:
        count = (await session.execute(select(table.c.id))).scalars().all()
    assert count == []


# ----------------------------------------------------------------------------- UtcDateTime
async def test_utc_datetime_stores_the_instant_and_returns_aware_utc(
    engine: AsyncEngine, unique: str
) -> None:
    table = _events_table(unique)
    await _create(engine, table)
    tokyo_noon = datetime(2025, 3, 1, 21, 0, tzinfo=timezone(timedelta(hours=9)))

    async with unit_of_work(sessionmaker(engine)) as session:
        await session.execute(table.insert().values(id=1, name="tokyo", at=tokyo_noon))
        await session.execute(table.insert().values(id=2, name="none", at=None))

    async with sessionmaker(engine)() as session:
        result = await session.execute(select(table.c.name, table.c.at))
        rows = dict(result.all())
    assert rows["tokyo"] == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert rows["tokyo"] is not None
    assert rows["tokyo"].tzinfo is UTC
    assert rows["none"] is None


async def test_utc_datetime_rejects_a_naive_datetime(engine: AsyncEngine, unique: str) -> None:
    table = _events_table(unique)
    await _create(engine, table)
    naive = datetime(2025, 3, 1, 12, 0)  # noqa: DTZ001 - the point

    with pytest.raises(StatementError, match="naive datetime"):
        async with unit_of_work(sessionmaker(engine)) as session:
            await session.execute(table.insert().values(id=1, name="naive", at=naive))


def test_sync_url_swaps_only_the_sqlite_driver() -> None:
    assert sync_url("sqlite+aiosqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    pg = "postgresql+psycopg://postgres@127.0.0.1:5432/db"
    assert sync_url(pg) == pg
