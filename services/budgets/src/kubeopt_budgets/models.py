"""SQLAlchemy models of the budgets service. Every table name starts with ``budgets_``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, String, Uuid
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
