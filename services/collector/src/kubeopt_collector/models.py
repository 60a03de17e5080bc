"""SQLAlchemy models of the collector: the cluster registry and source checkpoints. Every table
name starts with ``collector_``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kubeopt_common.db.base import UtcDateTime, metadata, utc_now


class Base(DeclarativeBase):
    metadata = metadata()


class ClusterRow(Base):
    """A registered cluster; ``sources`` is the validated list of source specs (JSON, no secret
    values: credentials are secret references)."""

    __tablename__ = "collector_clusters"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    provider: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(64))
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class CheckpointRow(Base):
    """Where a source resumes: e.g. the last usage window published, or flow file offsets."""

    __tablename__ = "collector_checkpoints"

    cluster_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("collector_clusters.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
