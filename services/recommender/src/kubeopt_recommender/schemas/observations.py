"""Response models of the recommender API (they are its OpenAPI documentation)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from kubeopt_recommender.analyzers.base import Analyzer, Findings
from kubeopt_recommender.service import AnalyzedObservation


class AnalyzerOut(BaseModel):
    name: str = Field(description="Analyzer name (its `kubeopt.analyzers` entry point)")
    description: str


class AnalyzersOut(BaseModel):
    analyzers: list[AnalyzerOut] = Field(description="Installed analyzers, sorted by name")

    @classmethod
    def build(cls, analyzers: Sequence[Analyzer]) -> AnalyzersOut:
        return cls(
            analyzers=[AnalyzerOut(name=a.name, description=a.description) for a in analyzers]
        )


class ObservationOut(BaseModel):
    """The observed history of one container of one workload (all replicas together)."""

    cluster: str
    namespace: str
    workload_kind: str
    workload: str
    container: str
    first_seen: datetime = Field(description="Start of the earliest observed window, UTC")
    last_seen: datetime = Field(description="End of the latest observed window, UTC")
    history_hours: float = Field(description="Hours from first_seen to last_seen", ge=0)
    enough_history: bool = Field(description="history_hours reaches the configured minimum")
    windows_observed: int = Field(description="Distinct scrape windows counted", ge=0)
    samples: int = Field(description="Container samples received (replicas x windows)", ge=0)
    cpu_peak_millicores: int = Field(ge=0)
    memory_peak_bytes: int = Field(ge=0)
    oom_kills: int = Field(description="OOM kills over every sample", ge=0)
    restarts: int = Field(description="Restarts over every sample", ge=0)
    throttled_ms: int = Field(description="CPU throttled time over every sample", ge=0)
    observed_seconds: int = Field(description="Replica-seconds observed (Σ window lengths)", ge=0)
    node: str = Field(description="Node of the latest sample")
    cpu_request_millicores: int = Field(description="Latest CPU request", ge=0)
    memory_request_bytes: int = Field(description="Latest memory request", ge=0)
    cpu_limit_millicores: int | None = Field(description="Latest CPU limit; null when unset")
    memory_limit_bytes: int | None = Field(description="Latest memory limit; null when unset")
    findings: dict[str, Findings] = Field(description="Findings of each analyzer, by name")

    @classmethod
    def from_analyzed(cls, item: AnalyzedObservation) -> ObservationOut:
        h = item.history
        cluster, namespace, workload_kind, workload, container = h.key
        return cls(
            cluster=cluster,
            namespace=namespace,
            workload_kind=workload_kind,
            workload=workload,
            container=container,
            first_seen=h.first_seen,
            last_seen=h.last_seen,
            history_hours=round(item.facts.history_hours, 3),
            enough_history=item.facts.enough_history,
            windows_observed=h.windows_observed,
            samples=h.samples,
            cpu_peak_millicores=h.cpu_peak_millicores,
            memory_peak_bytes=h.memory_peak_bytes,
            oom_kills=h.oom_kills,
            restarts=h.restarts,
            throttled_ms=h.throttled_ms,
            observed_seconds=h.observed_seconds,
            node=h.node,
            cpu_request_millicores=h.cpu_request_millicores,
            memory_request_bytes=h.memory_request_bytes,
            cpu_limit_millicores=h.cpu_limit_millicores,
            memory_limit_bytes=h.memory_limit_bytes,
            findings=item.findings,
        )


class ObservationsOut(BaseModel):
    observations: list[ObservationOut] = Field(
        description="Sorted by cluster, namespace, workload kind, workload, container"
    )
