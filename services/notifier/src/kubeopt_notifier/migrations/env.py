"""Alembic environment of the notifier service (version table ``alembic_version_notifier``)."""

from kubeopt_common.db.migrations import run_migrations
from kubeopt_notifier.models import Base

run_migrations(Base.metadata)
