"""A service's relational store: migrated to head at start, engine disposed at stop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from kubeopt_common.db.migrations import upgrade_to_head
from kubeopt_common.db.session import create_engine, sessionmaker
from kubeopt_common.settings import DatabaseSettings


class DatabaseNotStartedError(RuntimeError):
    pass


class UnsupportedDialectError(RuntimeError):
    pass


class Database:
    """Owns the engine; :meth:`start` and :meth:`stop` are the runtime's hooks.

    ``migrations`` is the service's Alembic script directory; :meth:`start` upgrades to head
    before connecting, so a service never runs against an older schema.
    """

    def __init__(self, settings: DatabaseSettings, *, service: str, migrations: Path) -> None:
        self._settings = settings
        self._service = service
        self._migrations = migrations
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        if self._sessions is None:
            msg = f"the {self._service} database is not started"
            raise DatabaseNotStartedError(msg)
        return self._sessions

    async def start(self) -> None:
        """Upgrade the schema to head (Alembic is synchronous: run off the loop), then connect."""
        await asyncio.to_thread(
            upgrade_to_head,
            script_location=self._migrations,
            url=self._settings.url.get_secret_value(),
            service=self._service,
        )
        self._engine = create_engine(self._settings)
        self._sessions = sessionmaker(self._engine)

    async def ping(self) -> bool:
        """Readiness probe: the database answers ``SELECT 1``."""
        if self._engine is None:
            return False
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True

    async def stop(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = None
        self._sessions = None


def upsert_statement(
    session: AsyncSession, target: type[DeclarativeBase] | Table | Any
) -> postgresql.Insert | sqlite.Insert:
    """A dialect-specific INSERT for ``target`` — the only kind with ON CONFLICT DO UPDATE."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(target)
    if dialect == "sqlite":
        return sqlite.insert(target)
    msg = f"unsupported database dialect {dialect!r} (use postgresql or sqlite)"
    raise UnsupportedDialectError(msg)
