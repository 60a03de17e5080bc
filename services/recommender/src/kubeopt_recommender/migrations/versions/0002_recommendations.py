"""Recommendations: usage profiles, nodes, workloads, runs, recommendations and their
transitions, confidence models; observation totals for throttling and observed time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recommender_models",
        sa.Column("version", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("feature_names", sa.JSON(), nullable=False),
        sa.Column("booster", sa.LargeBinary(), nullable=False),
        sa.Column("calibration", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("training", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_recommender_models")),
    )
    op.create_index(
        op.f("ix_recommender_models_active"), "recommender_models", ["active"], unique=False
    )
    op.create_table(
        "recommender_nodes",
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=63), nullable=False),
        sa.Column("node", sa.JSON(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cluster", "name", name=op.f("pk_recommender_nodes")),
    )
    op.create_table(
        "recommender_recommendations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("workload_kind", sa.String(length=32), nullable=False),
        sa.Column("workload", sa.String(length=253), nullable=False),
        sa.Column("container", sa.String(length=253), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("current", sa.JSON(), nullable=False),
        sa.Column("recommended", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("monthly_savings_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("co2e_grams_per_month", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("confidence_source", sa.String(length=32), nullable=False),
        sa.Column("price_status", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verify_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("baseline", sa.JSON(), nullable=True),
        sa.Column("realized_savings_nano_usd", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommender_recommendations")),
    )
    op.create_index(
        "ix_recommender_recommendations_scope",
        "recommender_recommendations",
        ["cluster", "namespace"],
        unique=False,
    )
    op.create_index(
        op.f("ix_recommender_recommendations_state"),
        "recommender_recommendations",
        ["state"],
        unique=False,
    )
    op.create_index(
        "uq_recommender_recommendations_live_target",
        "recommender_recommendations",
        ["cluster", "namespace", "workload_kind", "workload", "container", "kind"],
        unique=True,
        postgresql_where=sa.text("state IN ('open', 'approved', 'snoozed', 'applied')"),
        sqlite_where=sa.text("state IN ('open', 'approved', 'snoozed', 'applied')"),
    )
    op.create_table(
        "recommender_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommender_runs")),
    )
    op.create_index(
        op.f("ix_recommender_runs_created_at"), "recommender_runs", ["created_at"], unique=False
    )
    op.create_index(op.f("ix_recommender_runs_state"), "recommender_runs", ["state"], unique=False)
    op.create_table(
        "recommender_snapshot_parts",
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("snapshot_id", sa.String(length=253), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "cluster", "snapshot_id", "part", name=op.f("pk_recommender_snapshot_parts")
        ),
    )
    op.create_index(
        op.f("ix_recommender_snapshot_parts_taken_at"),
        "recommender_snapshot_parts",
        ["taken_at"],
        unique=False,
    )
    op.create_table(
        "recommender_usage_profiles",
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("workload_kind", sa.String(length=32), nullable=False),
        sa.Column("workload", sa.String(length=253), nullable=False),
        sa.Column("container", sa.String(length=253), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "cluster",
            "namespace",
            "workload_kind",
            "workload",
            "container",
            name=op.f("pk_recommender_usage_profiles"),
        ),
    )
    op.create_table(
        "recommender_workloads",
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("spec_snapshot", sa.String(length=253), nullable=False),
        sa.Column("pods_snapshot", sa.String(length=253), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vanished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vanished_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "cluster", "namespace", "kind", "name", name=op.f("pk_recommender_workloads")
        ),
    )
    op.create_table(
        "recommender_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=253), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommender_recommendations.id"],
            name=op.f("fk_recommender_transitions_recommendation_id_recommender_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommender_transitions")),
    )
    op.create_index(
        op.f("ix_recommender_transitions_recommendation_id"),
        "recommender_transitions",
        ["recommendation_id"],
        unique=False,
    )
    op.add_column(
        "recommender_container_observations",
        sa.Column("throttled_ms", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "recommender_container_observations",
        sa.Column("observed_seconds", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "recommender_container_observations",
        sa.Column("node", sa.String(length=253), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("recommender_container_observations", "node")
    op.drop_column("recommender_container_observations", "observed_seconds")
    op.drop_column("recommender_container_observations", "throttled_ms")
    op.drop_index(
        op.f("ix_recommender_transitions_recommendation_id"), table_name="recommender_transitions"
    )
    op.drop_table("recommender_transitions")
    op.drop_table("recommender_workloads")
    op.drop_table("recommender_usage_profiles")
    op.drop_index(
        op.f("ix_recommender_snapshot_parts_taken_at"), table_name="recommender_snapshot_parts"
    )
    op.drop_table("recommender_snapshot_parts")
    op.drop_index(op.f("ix_recommender_runs_state"), table_name="recommender_runs")
    op.drop_index(op.f("ix_recommender_runs_created_at"), table_name="recommender_runs")
    op.drop_table("recommender_runs")
    op.drop_index(
        "uq_recommender_recommendations_live_target",
        table_name="recommender_recommendations",
        postgresql_where=sa.text("state IN ('open', 'approved', 'snoozed', 'applied')"),
        sqlite_where=sa.text("state IN ('open', 'approved', 'snoozed', 'applied')"),
    )
    op.drop_index(
        op.f("ix_recommender_recommendations_state"), table_name="recommender_recommendations"
    )
    op.drop_index("ix_recommender_recommendations_scope", table_name="recommender_recommendations")
    op.drop_table("recommender_recommendations")
    op.drop_table("recommender_nodes")
    op.drop_index(op.f("ix_recommender_models_active"), table_name="recommender_models")
    op.drop_table("recommender_models")
