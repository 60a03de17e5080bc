"""SQLAlchemy models of the notifier service. Every table name starts with ``notifier_``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Float, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kubeopt_common.db.base import UtcDateTime, metadata


class Base(DeclarativeBase):
    metadata = metadata()


class DeliveryRecord(Base):
    """The delivery log: one row per (source event, channel), updated on every attempt.

    The unique key is the dedupe: an event whose row is ``delivered`` is never sent to that
    channel again, however often the bus redelivers it.
    """

    __tablename__ = "notifier_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "channel"),)

    # SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT is PostgreSQL's only.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
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
