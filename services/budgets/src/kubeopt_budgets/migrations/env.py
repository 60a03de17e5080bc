"""Alembic environment of the budgets service (version table ``alembic_version_budgets``)."""

from kubeopt_budgets.models import Base
from kubeopt_common.db.migrations import run_migrations

run_migrations(Base.metadata)
