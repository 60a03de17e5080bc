"""Every NATS subject KubeOpt AI publishes or consumes, in one place.

Subjects have the shape ``kubeopt.v1.<domain>.<verb>.<cluster>``. Code never writes a subject
literal: it takes a :class:`Subject` and, for cluster-scoped events, :func:`for_cluster`.
"""

from __future__ import annotations

import re
from enum import StrEnum

PREFIX = "kubeopt.v1"

# A cluster name becomes one NATS subject token: no dots, no wildcards, no spaces.
CLUSTER_NAME_PATTERN = r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$"
_CLUSTER_RE = re.compile(CLUSTER_NAME_PATTERN)


class Subject(StrEnum):
    INVENTORY_SNAPSHOTTED = f"{PREFIX}.inventory.snapshotted"
    USAGE_SAMPLED = f"{PREFIX}.usage.sampled"
    FLOWS_OBSERVED = f"{PREFIX}.flows.observed"
    SPEND_UPDATED = f"{PREFIX}.spend.updated"
    ANOMALY_DETECTED = f"{PREFIX}.anomaly.detected"
    RECOMMENDATION_CREATED = f"{PREFIX}.recommendation.created"
    RECOMMENDATION_UPDATED = f"{PREFIX}.recommendation.updated"
    BUDGET_THRESHOLD_CROSSED = f"{PREFIX}.budget.threshold_crossed"
    DEAD_LETTER = f"{PREFIX}.deadletter"

    @property
    def domain(self) -> str:
        return self.value.split(".")[2]

    @property
    def all_clusters(self) -> str:
        """Wildcard subject that matches this event for every cluster."""
        return f"{self.value}.*"


def for_cluster(subject: Subject, cluster: str) -> str:
    """The concrete subject of ``subject`` for ``cluster`` (validated as one subject token)."""
    if not _CLUSTER_RE.match(cluster):
        msg = f"cluster name {cluster!r} is not a valid subject token ({CLUSTER_NAME_PATTERN})"
        raise ValueError(msg)
    return f"{subject.value}.{cluster}"


def dead_letter_subject(service: str, original: str) -> str:
    """Dead letters of ``service`` for a message first published on ``original``."""
    parts = original.split(".")
    domain = parts[2] if len(parts) > 2 and original.startswith(PREFIX) else "unknown"
    return f"{Subject.DEAD_LETTER.value}.{service}.{domain}"
