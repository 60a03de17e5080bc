"""Alembic environment of the collector (version table ``alembic_version_collector``)."""

from kubeopt_collector.models import Base
from kubeopt_common.db.migrations import run_migrations

run_migrations(Base.metadata)
