"""Events the cost engine publishes: ``spend.updated`` and ``anomaly.detected``."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from kubeopt_common.events.envelope import Event, Name, NonNegativeInt, UtcDatetime
from kubeopt_common.events.subjects import Subject


class SpendUpdated(Event):
    """Attributed spend of one namespace in one window, as known so far.

    Costs are the running *totals* for ``(cluster, namespace, window)``, not deltas: a later event
    for the same window carries a total at least as large. A consumer keeps the largest total per
    window, which makes redelivery, duplicates and reordering harmless.
    """

    SUBJECT: ClassVar[Subject] = Subject.SPEND_UPDATED

    namespace: Name
    window_start: UtcDatetime
    window_end: UtcDatetime
    cost_nano_usd: NonNegativeInt
    cpu_cost_nano_usd: NonNegativeInt = 0
    memory_cost_nano_usd: NonNegativeInt = 0
    gpu_cost_nano_usd: NonNegativeInt = 0
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AnomalyDetected(Event):
    """Spend of a namespace (or a workload in it) far from its seasonal baseline."""

    SUBJECT: ClassVar[Subject] = Subject.ANOMALY_DETECTED

    anomaly_id: Name
    namespace: Name
    workload: str = ""
    window_start: UtcDatetime
    window_end: UtcDatetime
    expected_nano_usd: NonNegativeInt
    actual_nano_usd: NonNegativeInt
    score: float
    severity: Severity
