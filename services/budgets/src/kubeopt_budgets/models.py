"""SQLAlchemy models of the budgets service. Every table name starts with ``budgets_``."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kubeopt_common.db.base import UtcDateTime, metadata


class Base(DeclarativeBase):
    metadata = metadata()


class NamespaceSpend(Base):
    """The largest known running total of one namespace in one spend window.

    Costs are nano-USD. A row is replaced only by a greater total (see
    :func:`kubeopt_budgets.domain.spend_rank`), so redelivered, duplicated and reordered
    ``spend.updated`` events leave the same row behind.
    """

    __tablename__ = "budgets_namespace_spend"

    cluster: Mapped[str] = mapped_column(String(63), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(253), primary_key=True)
    # Period queries filter on the window start across every cluster and namespace.
    window_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True, index=True)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime())
    cost_nano_usd: Mapped[int] = mapped_column(BigInteger)
    cpu_cost_nano_usd: Mapped[int] = mapped_column(BigInteger)
    memory_cost_nano_usd: Mapped[int] = mapped_column(BigInteger)
    gpu_cost_nano_usd: Mapped[int] = mapped_column(BigInteger)
    last_event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Budget(Base):
    """A budget definition. Amount in nano-USD; scope patterns and thresholds as JSON lists."""

    __tablename__ = "budgets_budgets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(253), unique=True)
    clusters: Mapped[list[str]] = mapped_column(JSON)
    namespaces: Mapped[list[str]] = mapped_column(JSON)
    namespace_selector: Mapped[str] = mapped_column(Text)
    period_kind: Mapped[str] = mapped_column(String(16))
    week_start: Mapped[int] = mapped_column(Integer)
    month_day: Mapped[int] = mapped_column(Integer)
    custom_start: Mapped[date | None] = mapped_column(Date)
    custom_length_days: Mapped[int] = mapped_column(Integer)
    time_zone: Mapped[str] = mapped_column(String(64))
    amount_nano_usd: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # [{"pct": 80, "basis": "actual"}, …]
    thresholds: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Crossing(Base):
    """One threshold crossing, ever, per (budget, period, threshold, basis): the outbox.

    The unique key makes the crossing exactly-once however many replicas evaluate the same
    spend; ``published_at`` stays empty until ``budget.threshold_crossed`` was acknowledged by
    JetStream, so a crossing committed just before a crash is published on the next start
    (under the same ``event_id``, which JetStream deduplicates).
    """

    __tablename__ = "budgets_crossings"
    __table_args__ = (UniqueConstraint("budget_id", "period_start", "threshold_pct", "basis"),)

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    budget_id: Mapped[str] = mapped_column(String(36))
    period_start: Mapped[datetime] = mapped_column(UtcDateTime())
    threshold_pct: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(16))
    period_end: Mapped[datetime] = mapped_column(UtcDateTime())
    budget_name: Mapped[str] = mapped_column(String(253))
    scope: Mapped[str] = mapped_column(Text)
    cluster: Mapped[str] = mapped_column(String(63))
    amount_nano_usd: Mapped[int] = mapped_column(BigInteger)
    spend_to_date_nano_usd: Mapped[int] = mapped_column(BigInteger)
    forecast_nano_usd: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    crossed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The relay looks for crossings not yet published.
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


class NamespaceLabels(Base):
    """A namespace's labels as last seen in ``inventory.snapshotted`` (for label selectors)."""

    __tablename__ = "budgets_namespace_labels"

    cluster: Mapped[str] = mapped_column(String(63), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(253), primary_key=True)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime())
