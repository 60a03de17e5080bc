"""Channels, routing groups and alerts, repeat log, the per-channel outbox, silences.

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
        "notifier_alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("notification", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifier_alerts")),
        sa.UniqueConstraint(
            "group_key", "event_id", name=op.f("uq_notifier_alerts_group_key_event_id")
        ),
    )
    op.create_table(
        "notifier_channels",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("type", sa.String(length=63), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_notifier_channels")),
    )
    op.create_table(
        "notifier_groups",
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=255), nullable=False),
        sa.Column("group_labels", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("group_wait_s", sa.Float(), nullable=False),
        sa.Column("group_interval_s", sa.Float(), nullable=False),
        sa.Column("repeat_interval_s", sa.Float(), nullable=False),
        sa.Column("next_flush_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_flush_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("group_key", name=op.f("pk_notifier_groups")),
    )
    op.create_index(
        op.f("ix_notifier_groups_next_flush_at"), "notifier_groups", ["next_flush_at"], unique=False
    )
    op.create_table(
        "notifier_notified",
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_key", "fingerprint", name=op.f("pk_notifier_notified")),
    )
    op.create_table(
        "notifier_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=63), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("retry_after_s", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifier_outbox")),
        sa.UniqueConstraint(
            "message_id", "channel", name=op.f("uq_notifier_outbox_message_id_channel")
        ),
    )
    op.create_index(
        op.f("ix_notifier_outbox_channel"), "notifier_outbox", ["channel"], unique=False
    )
    op.create_index(
        op.f("ix_notifier_outbox_next_attempt_at"),
        "notifier_outbox",
        ["next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "notifier_silences",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=253), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifier_silences")),
    )
    op.create_index(
        op.f("ix_notifier_silences_ends_at"), "notifier_silences", ["ends_at"], unique=False
    )
    op.add_column("notifier_deliveries", sa.Column("message_id", sa.Uuid(), nullable=True))
    op.create_index(
        op.f("ix_notifier_deliveries_message_id"),
        "notifier_deliveries",
        ["message_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notifier_deliveries_message_id"), table_name="notifier_deliveries")
    op.drop_column("notifier_deliveries", "message_id")
    op.drop_index(op.f("ix_notifier_silences_ends_at"), table_name="notifier_silences")
    op.drop_table("notifier_silences")
    op.drop_index(op.f("ix_notifier_outbox_next_attempt_at"), table_name="notifier_outbox")
    op.drop_index(op.f("ix_notifier_outbox_channel"), table_name="notifier_outbox")
    op.drop_table("notifier_outbox")
    op.drop_table("notifier_notified")
    op.drop_index(op.f("ix_notifier_groups_next_flush_at"), table_name="notifier_groups")
    op.drop_table("notifier_groups")
    op.drop_table("notifier_channels")
    op.drop_table("notifier_alerts")
