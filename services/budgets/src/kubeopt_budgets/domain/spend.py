"""Pure spend bookkeeping: which running total wins, and money formatting. No I/O.

``spend.updated`` carries running *totals* per (cluster, namespace, window). Keeping the
greatest total per window makes the result independent of redelivery, duplicates and order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kubeopt_budgets.errors import InvalidPeriodError, InvalidSpendError
from kubeopt_common.events import SpendUpdated

NANO_PER_USD = 10**9
SUPPORTED_CURRENCY = "USD"

SpendKey = tuple[str, str, datetime]
"""(cluster, namespace, window_start)."""

SpendRank = tuple[int, int, int, int, uuid.UUID]


@dataclass(frozen=True, slots=True)
class SpendTotal:
    """One namespace's running total for one window. Money in nano-USD, times aware UTC."""

    cluster: str
    namespace: str
    window_start: datetime
    window_end: datetime
    cost_nano_usd: int
    cpu_cost_nano_usd: int
    memory_cost_nano_usd: int
    gpu_cost_nano_usd: int
    event_id: uuid.UUID

    @property
    def key(self) -> SpendKey:
        return (self.cluster, self.namespace, self.window_start)


@dataclass(frozen=True, slots=True)
class NamespaceSpendSummary:
    """Sum of the winning totals of one namespace over the windows of a period (nano-USD)."""

    cluster: str
    namespace: str
    windows: int
    cost_nano_usd: int
    cpu_cost_nano_usd: int
    memory_cost_nano_usd: int
    gpu_cost_nano_usd: int


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open time range ``[start, end)`` of aware datetimes; ``end`` after ``start``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            msg = "period bounds must be timezone-aware"
            raise InvalidPeriodError(msg)
        if self.end <= self.start:
            msg = (
                f"end ({self.end.isoformat()}) must be later than start ({self.start.isoformat()})"
            )
            raise InvalidPeriodError(msg)


def spend_total_from_event(event: SpendUpdated) -> SpendTotal:
    """The total an event carries; raises :class:`InvalidSpendError` for unusable events."""
    if event.currency != SUPPORTED_CURRENCY:
        msg = f"spend in {event.currency} is not supported; amounts must be {SUPPORTED_CURRENCY}"
        raise InvalidSpendError(msg)
    if event.window_end <= event.window_start:
        msg = (
            f"window_end ({event.window_end.isoformat()}) is not after "
            f"window_start ({event.window_start.isoformat()})"
        )
        raise InvalidSpendError(msg)
    return SpendTotal(
        cluster=event.cluster,
        namespace=event.namespace,
        window_start=event.window_start,
        window_end=event.window_end,
        cost_nano_usd=event.cost_nano_usd,
        cpu_cost_nano_usd=event.cpu_cost_nano_usd,
        memory_cost_nano_usd=event.memory_cost_nano_usd,
        gpu_cost_nano_usd=event.gpu_cost_nano_usd,
        event_id=event.event_id,
    )


def spend_rank(total: SpendTotal) -> SpendRank:
    """Total order of candidate totals for one window: the greater rank wins.

    The cost total decides; the breakdown and finally the event id only break ties, so that two
    different events with equal totals still give one answer whatever their arrival order. The
    repository's upsert compares the same tuple in SQL.
    """
    return (
        total.cost_nano_usd,
        total.cpu_cost_nano_usd,
        total.memory_cost_nano_usd,
        total.gpu_cost_nano_usd,
        total.event_id,
    )


def winning_total(current: SpendTotal, candidate: SpendTotal) -> SpendTotal:
    """The total to keep for a window: ``candidate`` only if it ranks strictly higher."""
    return candidate if spend_rank(candidate) > spend_rank(current) else current


def reduce_totals(totals: Iterable[SpendTotal]) -> list[SpendTotal]:
    """One winning total per window key, sorted by key.

    The sort gives every writer the same row-lock order, so concurrent replicas cannot
    deadlock on each other's upserts.
    """
    winners: dict[SpendKey, SpendTotal] = {}
    for total in totals:
        current = winners.get(total.key)
        winners[total.key] = total if current is None else winning_total(current, total)
    return [winners[key] for key in sorted(winners)]


def nano_usd_to_usd(amount_nano_usd: int) -> str:
    """A nano-USD amount as an exact decimal USD string with 9 decimals, e.g. ``"1.500000000"``."""
    return f"{Decimal(amount_nano_usd) / NANO_PER_USD:.9f}"
