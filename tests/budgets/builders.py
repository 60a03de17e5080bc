"""Budgets test inputs, each with overrides (events on top of the shared ``tests.builders``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from kubeopt_budgets.domain import SpendTotal
from tests.builders import T0, make_spend_updated

__all__ = ["T0", "WINDOW", "spend_event", "spend_total"]
from kubeopt_common.events import SpendUpdated

WINDOW = timedelta(minutes=5)


def spend_event(
    *,
    cluster: str = "c1",
    namespace: str = "shop",
    window_start: datetime = T0,
    cost_nano_usd: int = 1_000,
    **overrides: Any,
) -> SpendUpdated:
    """A five-minute window's running total, split evenly between CPU and memory."""
    fields: dict[str, Any] = {
        "cluster": cluster,
        "namespace": namespace,
        "window_start": window_start,
        "window_end": window_start + WINDOW,
        "cost_nano_usd": cost_nano_usd,
        "cpu_cost_nano_usd": cost_nano_usd // 2,
        "memory_cost_nano_usd": cost_nano_usd - cost_nano_usd // 2,
    }
    return make_spend_updated(**{**fields, **overrides})


def spend_total(
    *,
    cluster: str = "c1",
    namespace: str = "shop",
    window_start: datetime = T0,
    cost_nano_usd: int = 1_000,
    **overrides: Any,
) -> SpendTotal:
    fields: dict[str, Any] = {
        "cluster": cluster,
        "namespace": namespace,
        "window_start": window_start,
        "window_end": window_start + WINDOW,
        "cost_nano_usd": cost_nano_usd,
        "cpu_cost_nano_usd": cost_nano_usd // 2,
        "memory_cost_nano_usd": cost_nano_usd - cost_nano_usd // 2,
        "gpu_cost_nano_usd": 0,
        "event_id": uuid.uuid4(),
    }
    fields.update(overrides)
    return SpendTotal(**fields)
