"""What the inventory says about a workload, reduced to the facts recommendations need (pure).

A full inventory snapshot arrives in parts; a workload object and its pods may sit in different
parts. :func:`merge_pods` folds the pods of one part into the facts, and a newer snapshot
replaces what an older one said (``pods_snapshot``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from kubeopt_common.events import Pod, Workload
from kubeopt_recommender.domain.rightsizing import Resources


@dataclass(frozen=True)
class WorkloadFacts:
    """Spec facts (``None`` until the workload object itself has been seen) and pod facts."""

    kind: str
    replicas: int | None = None
    hpa_metric: str | None = None
    hpa_min_replicas: int | None = None
    hpa_max_replicas: int | None = None
    pdb_min_available: int | None = None
    pdb_max_unavailable: int | None = None
    schedule: str = ""
    termination_grace_period_s: int = 30
    max_surge_pct: int = 25
    labels: dict[str, str] = field(default_factory=dict)
    spec_seen: bool = False
    volume_kinds: frozenset[str] = frozenset()
    nodes: frozenset[str] = frozenset()
    pods: int = 0
    containers: dict[str, Resources] = field(default_factory=dict)

    @property
    def has_hpa(self) -> bool:
        return self.hpa_metric is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "replicas": self.replicas,
            "hpa_metric": self.hpa_metric,
            "hpa_min_replicas": self.hpa_min_replicas,
            "hpa_max_replicas": self.hpa_max_replicas,
            "pdb_min_available": self.pdb_min_available,
            "pdb_max_unavailable": self.pdb_max_unavailable,
            "schedule": self.schedule,
            "termination_grace_period_s": self.termination_grace_period_s,
            "max_surge_pct": self.max_surge_pct,
            "labels": dict(self.labels),
            "spec_seen": self.spec_seen,
            "volume_kinds": sorted(self.volume_kinds),
            "nodes": sorted(self.nodes),
            "pods": self.pods,
            "containers": {
                name: [
                    r.cpu_request_millicores,
                    r.memory_request_bytes,
                    r.cpu_limit_millicores,
                    r.memory_limit_bytes,
                ]
                for name, r in sorted(self.containers.items())
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkloadFacts:
        return cls(
            kind=data["kind"],
            replicas=data.get("replicas"),
            hpa_metric=data.get("hpa_metric"),
            hpa_min_replicas=data.get("hpa_min_replicas"),
            hpa_max_replicas=data.get("hpa_max_replicas"),
            pdb_min_available=data.get("pdb_min_available"),
            pdb_max_unavailable=data.get("pdb_max_unavailable"),
            schedule=data.get("schedule", ""),
            termination_grace_period_s=data.get("termination_grace_period_s", 30),
            max_surge_pct=data.get("max_surge_pct", 25),
            labels=dict(data.get("labels", {})),
            spec_seen=bool(data.get("spec_seen", False)),
            volume_kinds=frozenset(data.get("volume_kinds", ())),
            nodes=frozenset(data.get("nodes", ())),
            pods=int(data.get("pods", 0)),
            containers={
                name: Resources(*values) for name, values in data.get("containers", {}).items()
            },
        )


def with_spec(facts: WorkloadFacts, workload: Workload) -> WorkloadFacts:
    """``facts`` updated with the workload object's own spec."""
    hpa, pdb = workload.hpa, workload.pdb
    return replace(
        facts,
        kind=workload.kind.value,
        replicas=workload.replicas,
        hpa_metric=hpa.metric if hpa else None,
        hpa_min_replicas=hpa.min_replicas if hpa else None,
        hpa_max_replicas=hpa.max_replicas if hpa else None,
        pdb_min_available=pdb.min_available if pdb else None,
        pdb_max_unavailable=pdb.max_unavailable if pdb else None,
        schedule=workload.schedule,
        termination_grace_period_s=workload.termination_grace_period_s,
        max_surge_pct=workload.max_surge_pct,
        labels=dict(workload.labels),
        spec_seen=True,
    )


def merge_pods(facts: WorkloadFacts, pods: Iterable[Pod], *, fresh: bool) -> WorkloadFacts:
    """Add the pods' volumes, nodes and container specs; ``fresh`` drops what was known."""
    kinds = set() if fresh else set(facts.volume_kinds)
    nodes = set() if fresh else set(facts.nodes)
    containers = {} if fresh else dict(facts.containers)
    count = 0 if fresh else facts.pods
    for pod in pods:
        count += 1
        kinds.update(v.kind.value for v in pod.volumes)
        if pod.node:
            nodes.add(pod.node)
        for c in pod.containers:
            containers[c.name] = Resources(
                c.cpu_request_millicores,
                c.memory_request_bytes,
                c.cpu_limit_millicores,
                c.memory_limit_bytes,
            )
    return replace(
        facts,
        volume_kinds=frozenset(kinds),
        nodes=frozenset(nodes),
        pods=count,
        containers=containers,
    )
