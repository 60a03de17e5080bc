"""Alembic environment of the recommender (version table ``alembic_version_recommender``)."""

from kubeopt_common.db.migrations import run_migrations
from kubeopt_recommender.models import Base

run_migrations(Base.metadata)
