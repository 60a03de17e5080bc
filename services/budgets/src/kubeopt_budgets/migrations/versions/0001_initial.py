"""Initial schema: the greatest running total per namespace spend window.

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
        "budgets_namespace_spend",
        sa.Column("cluster", sa.String(length=63), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cost_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("cpu_cost_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("memory_cost_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("gpu_cost_nano_usd", sa.BigInteger(), nullable=False),
        sa.Column("last_event_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "cluster", "namespace", "window_start", name=op.f("pk_budgets_namespace_spend")
        ),
    )
    op.create_index(
        op.f("ix_budgets_namespace_spend_window_start"),
        "budgets_namespace_spend",
        ["window_start"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_budgets_namespace_spend_window_start"), table_name="budgets_namespace_spend"
    )
    op.drop_table("budgets_namespace_spend")
