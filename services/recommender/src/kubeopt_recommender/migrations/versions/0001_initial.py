"""Initial schema: per-container observation history and the processed-events inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recommender_container_observations",
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("workload_kind", sa.String(length=32), nullable=False),
        sa.Column("workload", sa.String(length=253), nullable=False),
        sa.Column("container", sa.String(length=253), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("windows_observed", sa.Integer(), nullable=False),
        sa.Column("samples", sa.BigInteger(), nullable=False),
        sa.Column("cpu_peak_millicores", sa.BigInteger(), nullable=False),
        sa.Column("memory_peak_bytes", sa.BigInteger(), nullable=False),
        sa.Column("oom_kills", sa.BigInteger(), nullable=False),
        sa.Column("restarts", sa.BigInteger(), nullable=False),
        sa.Column("cpu_request_millicores", sa.BigInteger(), nullable=False),
        sa.Column("memory_request_bytes", sa.BigInteger(), nullable=False),
        sa.Column("cpu_limit_millicores", sa.BigInteger(), nullable=True),
        sa.Column("memory_limit_bytes", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "cluster",
            "namespace",
            "workload_kind",
            "workload",
            "container",
            name=op.f("pk_recommender_container_observations"),
        ),
    )
    op.create_index(
        op.f("ix_recommender_container_observations_namespace"),
        "recommender_container_observations",
        ["namespace"],
        unique=False,
    )
    op.create_table(
        "recommender_processed_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_recommender_processed_events")),
    )
    op.create_index(
        op.f("ix_recommender_processed_events_processed_at"),
        "recommender_processed_events",
        ["processed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_recommender_processed_events_processed_at"),
        table_name="recommender_processed_events",
    )
    op.drop_table("recommender_processed_events")
    op.drop_index(
        op.f("ix_recommender_container_observations_namespace"),
        table_name="recommender_container_observations",
    )
    op.drop_table("recommender_container_observations")
