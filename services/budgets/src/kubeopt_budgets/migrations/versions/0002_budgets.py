"""Budgets, their threshold crossings (the exactly-once outbox) and namespace labels.

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
        "budgets_budgets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("clusters", sa.JSON(), nullable=False),
        sa.Column("namespaces", sa.JSON(), nullable=False),
        sa.Column("namespace_selector", sa.Text(), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("week_start", sa.Integer(), nullable=False),
        sa.Column("month_day", sa.Integer(), nullable=False),
        sa.Column("custom_start", sa.Date(), nullable=True),
        sa.Column("custom_length_days", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("amount_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budgets_budgets")),
        sa.UniqueConstraint("name", name=op.f("uq_budgets_budgets_name")),
    )
    op.create_table(
        "budgets_crossings",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("budget_id", sa.String(length=36), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("threshold_pct", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("budget_name", sa.String(length=253), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("amount_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("spend_to_date_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("forecast_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("crossed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_budgets_crossings")),
        sa.UniqueConstraint(
            "budget_id",
            "period_start",
            "threshold_pct",
            "basis",
            name=op.f("uq_budgets_crossings_budget_id_period_start_threshold_pct_basis"),
        ),
    )
    op.create_index(
        op.f("ix_budgets_crossings_published_at"),
        "budgets_crossings",
        ["published_at"],
        unique=False,
    )
    op.create_table(
        "budgets_namespace_labels",
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cluster", "namespace", name=op.f("pk_budgets_namespace_labels")),
    )


def downgrade() -> None:
    op.drop_table("budgets_namespace_labels")
    op.drop_index(op.f("ix_budgets_crossings_published_at"), table_name="budgets_crossings")
    op.drop_table("budgets_crossings")
    op.drop_table("budgets_budgets")
