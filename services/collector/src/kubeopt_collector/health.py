"""How each registered cluster's sources are doing: state, last contact, last error, retry
schedule (for ``/v1/clusters/{id}``), the Prometheus counters of skipped input, and the
retry backoff every source uses."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Gauge

from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)


class SourceState(StrEnum):
    STARTING = "starting"  # not yet connected
    SYNCING = "syncing"  # connected, first list/backfill running
    OK = "ok"
    RETRYING = "retrying"  # the last attempt failed; the next one is scheduled
    STOPPED = "stopped"


@dataclass(frozen=True)
class SourceMetrics:
    """Counters shared by every source of the process (labels name cluster and source)."""

    skipped: Counter
    errors: Counter
    relists: Counter
    up: Gauge
    published: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> SourceMetrics:
        registry = registry or CollectorRegistry()
        return cls(
            skipped=Counter(
                "kubeopt_collector_input_skipped",
                "Input records skipped: unreadable objects or quantities, unknown flow IPs, …",
                ["cluster", "source", "kind", "reason"],
                registry=registry,
            ),
            errors=Counter(
                "kubeopt_collector_source_errors",
                "Failed attempts to reach a cluster's API server, Prometheus or flow files",
                ["cluster", "source"],
                registry=registry,
            ),
            relists=Counter(
                "kubeopt_collector_relists",
                "Full relists of a Kubernetes kind (410 Gone or watch errors)",
                ["cluster", "kind"],
                registry=registry,
            ),
            up=Gauge(
                "kubeopt_collector_source_up",
                "1 while the source's last attempt succeeded, else 0",
                ["cluster", "source"],
                registry=registry,
            ),
            published=Counter(
                "kubeopt_collector_source_messages_published",
                "Events published by a registered cluster's source",
                ["cluster", "source"],
                registry=registry,
            ),
        )


@dataclass
class SourceHealth:
    """Status of one source of one cluster. Mutated only on the event loop."""

    cluster: str
    source: str
    metrics: SourceMetrics | None = None
    state: SourceState = SourceState.STARTING
    last_seen_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    next_retry_at: datetime | None = None
    skipped: int = 0
    published: int = 0
    detail: dict[str, str | int] = field(default_factory=dict)

    def seen(self, *, state: SourceState = SourceState.OK) -> None:
        """The source just heard from its backend."""
        self.last_seen_at = datetime.now(UTC)
        self.state = state
        self.consecutive_failures = 0
        self.next_retry_at = None
        if self.metrics is not None:
            self.metrics.up.labels(self.cluster, self.source).set(1)

    def failed(self, error: BaseException | str, *, retry_in_s: float) -> None:
        now = datetime.now(UTC)
        self.last_error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.last_error_at = now
        self.consecutive_failures += 1
        self.state = SourceState.RETRYING
        self.next_retry_at = now + timedelta(seconds=retry_in_s)
        if self.metrics is not None:
            self.metrics.errors.labels(self.cluster, self.source).inc()
            self.metrics.up.labels(self.cluster, self.source).set(0)
        log.warning(
            "collector.source_failed",
            cluster=self.cluster,
            source=self.source,
            error=self.last_error,
            retry_in_s=round(retry_in_s, 1),
            failures=self.consecutive_failures,
        )

    def skip(self, *, kind: str, reason: str, identity: str, detail: str) -> None:
        """Bad input: log it with the object's identity, count it, and carry on."""
        self.skipped += 1
        if self.metrics is not None:
            self.metrics.skipped.labels(self.cluster, self.source, kind, reason).inc()
        log.warning(
            "collector.input_skipped",
            cluster=self.cluster,
            source=self.source,
            kind=kind,
            reason=reason,
            object=identity,
            detail=detail,
        )

    def record_published(self, messages: int) -> None:
        self.published += messages
        if self.metrics is not None:
            self.metrics.published.labels(self.cluster, self.source).inc(messages)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: ``uniform(0.5, 1) × min(max_s, base_s × 2^n)``."""

    base_s: float = 1.0
    max_s: float = 60.0
    jitter: bool = True

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure (1-based)."""
        capped = min(self.max_s, self.base_s * 2 ** max(0, failures - 1))
        if not self.jitter:
            return float(capped)
        return float(capped * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto
