"""SQLAlchemy models of the recommender service. Every table name starts with ``recommender_``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    text,
)
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
    throttled_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    observed_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    node: Mapped[str] = mapped_column(String(253), default="")
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


class UsageProfileRow(Base):
    """The serialised :class:`~kubeopt_recommender.domain.usage_profile.UsageProfile` of one
    container (decaying histograms, moments, hour-of-day CPU); see ``UsageProfile.to_bytes``."""

    __tablename__ = "recommender_usage_profiles"

    cluster: Mapped[str] = mapped_column(String(63), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(253), primary_key=True)
    workload_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    workload: Mapped[str] = mapped_column(String(253), primary_key=True)
    container: Mapped[str] = mapped_column(String(253), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NodeRow(Base):
    """A node as the latest ``usage.sampled`` showed it: what costing is asked to price."""

    __tablename__ = "recommender_nodes"

    cluster: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(253), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(63))
    node: Mapped[dict[str, Any]] = mapped_column(JSON)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WorkloadRow(Base):
    """Inventory facts of one workload (:class:`~kubeopt_recommender.domain.workloads.
    WorkloadFacts` as JSON); ``vanished_at`` is set when a complete snapshot no longer has it."""

    __tablename__ = "recommender_workloads"

    cluster: Mapped[str] = mapped_column(String(63), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(253), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(253), primary_key=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec_snapshot: Mapped[str] = mapped_column(String(253), default="")
    pods_snapshot: Mapped[str] = mapped_column(String(253), default="")
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    vanished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    vanished_reason: Mapped[str] = mapped_column(Text, default="")


class SnapshotPart(Base):
    """Parts of a full inventory snapshot received so far (a snapshot is complete when all
    ``parts`` are in); pruned once the snapshot is old."""

    __tablename__ = "recommender_snapshot_parts"

    cluster: Mapped[str] = mapped_column(String(63), primary_key=True)
    snapshot_id: Mapped[str] = mapped_column(String(253), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    parts: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class RunRow(Base):
    """One optimization run: scope, policy, progress and stats (counts by outcome and reason)."""

    __tablename__ = "recommender_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))
    policy: Mapped[str] = mapped_column(String(16))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")


LIVE_STATES = "('open', 'approved', 'snoozed', 'applied')"


class RecommendationRow(Base):
    """A recommendation and its current state; ``revision`` grows with every change (it keys
    the ids of the events published about it). At most one live recommendation exists per
    target and kind (partial unique index)."""

    __tablename__ = "recommender_recommendations"
    __table_args__ = (
        Index(
            "uq_recommender_recommendations_live_target",
            "cluster",
            "namespace",
            "workload_kind",
            "workload",
            "container",
            "kind",
            unique=True,
            postgresql_where=text(f"state IN {LIVE_STATES}"),
            sqlite_where=text(f"state IN {LIVE_STATES}"),
        ),
        Index("ix_recommender_recommendations_scope", "cluster", "namespace"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cluster: Mapped[str] = mapped_column(String(63))
    namespace: Mapped[str] = mapped_column(String(253))
    workload_kind: Mapped[str] = mapped_column(String(32))
    workload: Mapped[str] = mapped_column(String(253))
    container: Mapped[str] = mapped_column(String(253))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    policy: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    current: Mapped[dict[str, Any]] = mapped_column(JSON)
    recommended: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    features: Mapped[dict[str, float]] = mapped_column(JSON)
    monthly_savings_nano_usd: Mapped[int] = mapped_column(BigInteger)
    co2e_grams_per_month: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    confidence_source: Mapped[str] = mapped_column(String(32))
    price_status: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state_reason: Mapped[str] = mapped_column(Text, default="")
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    verify_after: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    baseline: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    realized_savings_nano_usd: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class TransitionRow(Base):
    """One state change of a recommendation: who, when, why. Creation is the first row."""

    __tablename__ = "recommender_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("recommender_recommendations.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(253))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    comment: Mapped[str] = mapped_column(Text, default="")


class ModelRow(Base):
    """A trained confidence model: the xgboost booster (UBJSON bytes), its calibration, the
    features it expects, and its metrics on held-out data. One version is ``active``."""

    __tablename__ = "recommender_models"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    algorithm: Mapped[str] = mapped_column(String(32))
    feature_names: Mapped[list[str]] = mapped_column(JSON)
    booster: Mapped[bytes] = mapped_column(LargeBinary)
    calibration: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    training: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
