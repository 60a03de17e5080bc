"""What the collector has published, for ``/v1/sources`` and for Prometheus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True)
class CollectorMetrics:
    messages: Counter
    samples: Counter
    last_window: Gauge
    errors: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> CollectorMetrics:
        return cls(
            messages=Counter(
                "kubeopt_collector_messages_published",
                "Messages published and acknowledged by JetStream",
                ["source"],
                registry=registry,
            ),
            samples=Counter(
                "kubeopt_collector_samples_published",
                "Container usage samples published",
                ["source"],
                registry=registry,
            ),
            last_window=Gauge(
                "kubeopt_collector_last_window_timestamp_seconds",
                "Start of the last usage window published, per cluster (epoch seconds)",
                ["source", "cluster"],
                registry=registry,
            ),
            errors=Counter(
                "kubeopt_collector_publish_errors",
                "Publishing attempts that failed (retried at the next window)",
                ["source"],
                registry=registry,
            ),
        )


@dataclass
class SourceStatus:
    """Counters and resume point of one source. Mutated only by the collector loop."""

    name: str
    kind: str
    clusters: tuple[str, ...]
    last_windows: dict[str, datetime] = field(default_factory=dict)
    messages_published: int = 0
    samples_published: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    metrics: CollectorMetrics | None = None

    def record_published(self, *, messages: int, samples: int) -> None:
        self.messages_published += messages
        self.samples_published += samples
        if self.metrics is not None:
            self.metrics.messages.labels(self.name).inc(messages)
            self.metrics.samples.labels(self.name).inc(samples)

    def record_window(self, window_start: datetime, clusters: Sequence[str]) -> None:
        for cluster in clusters:
            self.last_windows[cluster] = window_start
            if self.metrics is not None:
                self.metrics.last_window.labels(self.name, cluster).set(window_start.timestamp())

    def record_error(self, error: BaseException) -> None:
        self.last_error = f"{type(error).__name__}: {error}"
        self.last_error_at = datetime.now(UTC)
        if self.metrics is not None:
            self.metrics.errors.labels(self.name).inc()
