"""Prometheus metrics every service exposes on ``/metrics``."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass(frozen=True)
class BusMetrics:
    """Counters of the consumer discipline, labelled by service and subject."""

    processed: Counter
    dead_lettered: Counter
    redelivered: Counter
    rejected: Counter
    batch_seconds: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> BusMetrics:
        return cls(
            processed=Counter(
                "kubeopt_bus_messages_processed",
                "Messages handled and acked",
                ["service", "consumer"],
                registry=registry,
            ),
            dead_lettered=Counter(
                "kubeopt_bus_messages_dead_lettered",
                "Messages sent to the dead-letter subject",
                ["service", "consumer", "reason"],
                registry=registry,
            ),
            redelivered=Counter(
                "kubeopt_bus_messages_nacked",
                "Messages nacked for a later redelivery",
                ["service", "consumer"],
                registry=registry,
            ),
            rejected=Counter(
                "kubeopt_bus_items_rejected",
                "Items dropped from partly valid messages",
                ["service", "consumer"],
                registry=registry,
            ),
            batch_seconds=Histogram(
                "kubeopt_bus_batch_seconds",
                "Time to handle one fetched batch",
                ["service", "consumer"],
                registry=registry,
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            ),
        )
