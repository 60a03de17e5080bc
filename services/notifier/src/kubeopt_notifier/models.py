"""SQLAlchemy models of the notifier service. Every table name starts with ``notifier_``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kubeopt_common.db.base import UtcDateTime, metadata

# SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT is PostgreSQL's only.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = metadata()


class DeliveryRecord(Base):
    """The delivery log: one row per (source event, channel).

    The unique key is the dedupe: an event is put into at most one message per channel,
    however often the bus redelivers it or however many routes it takes.
    """

    __tablename__ = "notifier_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "channel"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    channel: Mapped[str] = mapped_column(String(63))
    channel_type: Mapped[str] = mapped_column(String(63))
    source_subject: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    cluster: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    retry_after_s: Mapped[float | None] = mapped_column(Float)
    first_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The delivery log is read newest first.
    last_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class ChannelRecord(Base):
    """A configured channel. ``params`` may hold secrets (webhook URLs, signing keys): the API
    never returns them and nothing logs them."""

    __tablename__ = "notifier_channels"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    type: Mapped[str] = mapped_column(String(63))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    disabled_reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # "settings" or "api"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AlertRecord(Base):
    """A notification waiting in (or flushed from) one routing group."""

    __tablename__ = "notifier_alerts"
    __table_args__ = (UniqueConstraint("group_key", "event_id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    fingerprint: Mapped[str] = mapped_column(String(64))
    notification: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # pending, flushed
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class GroupRecord(Base):
    """A routing group: its route's settings, when it flushes next, when it may flush again."""

    __tablename__ = "notifier_groups"

    group_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    route: Mapped[str] = mapped_column(String(255))
    group_labels: Mapped[dict[str, str]] = mapped_column(JSON)
    channels: Mapped[list[str]] = mapped_column(JSON)
    group_wait_s: Mapped[float] = mapped_column(Float)
    group_interval_s: Mapped[float] = mapped_column(Float)
    repeat_interval_s: Mapped[float] = mapped_column(Float)
    # The dispatcher looks for groups that are due.
    next_flush_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_flush_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class NotifiedRecord(Base):
    """When an alert (by fingerprint) was last notified in a group: repeat_interval."""

    __tablename__ = "notifier_notified"

    group_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    notified_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OutboxRecord(Base):
    """One message for one channel, and its attempts: the durable retry queue."""

    __tablename__ = "notifier_outbox"
    __table_args__ = (UniqueConstraint("message_id", "channel"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    channel: Mapped[str] = mapped_column(String(63), index=True)
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed, dead_lettered
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str] = mapped_column(Text)
    retry_after_s: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SilenceRecord(Base):
    """Mutes every notification whose labels match all ``matchers`` in ``[starts_at, ends_at)``."""

    __tablename__ = "notifier_silences"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    matchers: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(253))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
