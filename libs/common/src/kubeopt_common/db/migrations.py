"""Alembic, driven from code: every service upgrades its own schema at start-up.

Each service keeps its migration history in ``kubeopt_<svc>/migrations`` and its own version
table (``alembic_version_<svc>``), so several services may share one PostgreSQL database without
seeing each other's tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool


def sync_url(url: str) -> str:
    """The synchronous driver URL for Alembic (psycopg 3 serves both; SQLite needs pysqlite)."""
    return url.replace("sqlite+aiosqlite://", "sqlite://", 1)


def alembic_config(*, script_location: Path, url: str, service: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    config.attributes["version_table"] = f"alembic_version_{service}"
    return config


def upgrade_to_head(*, script_location: Path, url: str, service: str) -> None:
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(
        alembic_config(script_location=script_location, url=url, service=service), "head"
    )


def run_migrations(target_metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py`` (online mode only)."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    version_table = config.attributes.get("version_table", "alembic_version")
    engine = create_engine(url or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
