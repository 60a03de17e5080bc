"""SQLAlchemy models of the recommender service. Every table name starts with ``recommender_``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kubeopt_common.db.base import UtcDateTime, metadata


class Base(DeclarativeBase):
    metadata = metadata()


class ContainerObservation(Base):
    """What has been seen of one container of one workload, across all its replicas.

    ``first_seen`` is the start of the earliest window, ``last_seen`` the end of the latest one
    (aware UTC). Peaks are maxima over every sample; ``oom_kills`` and ``restarts`` are sums of
    the per-window counts. Requests and limits are those of the latest window.
    """

    __tablename__ = "recommender_container_observations"

    cluster: Mapped[str] = mapped_column(String(63), primary_key=True)
    # Listing filters by namespace across clusters.
    namespace: Mapped[str] = mapped_column(String(253), primary_key=True, index=True)
    workload_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    workload: Mapped[str] = mapped_column(String(253), primary_key=True)
    container: Mapped[str] = mapped_column(String(253), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    last_window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    windows_observed: Mapped[int] = mapped_column(Integer)
    samples: Mapped[int] = mapped_column(BigInteger)
    cpu_peak_millicores: Mapped[int] = mapped_column(BigInteger)
    memory_peak_bytes: Mapped[int] = mapped_column(BigInteger)
    oom_kills: Mapped[int] = mapped_column(BigInteger)
    restarts: Mapped[int] = mapped_column(BigInteger)
    cpu_request_millicores: Mapped[int] = mapped_column(BigInteger)
    memory_request_bytes: Mapped[int] = mapped_column(BigInteger)
    cpu_limit_millicores: Mapped[int | None] = mapped_column(BigInteger)
    memory_limit_bytes: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProcessedEvent(Base):
    """Inbox: ids of ``usage.sampled`` events already counted, written in the same transaction
    as their effect, so a redelivered event is skipped instead of counted twice."""

    __tablename__ = "recommender_processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Pruning deletes by age.
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
