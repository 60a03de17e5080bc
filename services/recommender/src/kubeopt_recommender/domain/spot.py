"""Spot candidacy: a score in [0, 1] with a reason per check (pure).

Kubecost's readiness checklist (controller kind, replicas, PDB, local storage, rolling update) is
a set of pass/fail rules; here each check multiplies the score by a factor, a *blocker* sets it
to 0, and every check says why. Checks added beyond Kubecost's: termination grace period against
the provider's interruption notice (AWS 120 s, GCP and Azure 30 s), spread of replicas over
zones, expected run length of batch jobs (a reclaimed node restarts the run), and an HPA
(elastic capacity tolerates losing a node).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from kubeopt_recommender.domain.workloads import WorkloadFacts

INTERRUPTION_NOTICE_S = {"aws": 120, "gcp": 30, "azure": 30}
DEFAULT_NOTICE_S = 30
DRAIN_MARGIN_S = 10
"""Seconds a node drain needs on top of the pod's own grace period."""
CANDIDATE_SCORE = 0.5
LONG_JOB_S = 3600.0


class CheckStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a check verdict, not a password
    WARN = "warn"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: CheckStatus
    factor: float
    detail: str


@dataclass(frozen=True, slots=True)
class SpotAssessment:
    score: float
    checks: tuple[Check, ...]

    @property
    def candidate(self) -> bool:
        return self.score >= CANDIDATE_SCORE

    @property
    def blockers(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status is CheckStatus.BLOCK)

    def reasons(self) -> list[str]:
        return [f"{c.status.value}: {c.name}: {c.detail}" for c in self.checks]


@dataclass(frozen=True, slots=True)
class SpotInputs:
    facts: WorkloadFacts
    provider: str
    zones: int
    """Distinct zones the workload's pods run in."""
    job_duration_s: float | None = None


def _ok(name: str, detail: str) -> Check:
    return Check(name, CheckStatus.PASS, 1.0, detail)


def _warn(name: str, factor: float, detail: str) -> Check:
    return Check(name, CheckStatus.WARN, factor, detail)


def _block(name: str, detail: str) -> Check:
    return Check(name, CheckStatus.BLOCK, 0.0, detail)


def _kind(i: SpotInputs) -> Check:
    kind = i.facts.kind
    if kind in ("StatefulSet", "Pod", "DaemonSet"):
        why = {
            "StatefulSet": "stable identity and storage: an interruption risks data loss",
            "Pod": "a bare pod has no controller to recreate it",
            "DaemonSet": "runs on every node; it follows the node pool, not a choice",
        }[kind]
        return _block("controller", f"{kind}: {why}")
    return _ok("controller", f"{kind} is recreated elsewhere when a node is reclaimed")


def _replicas(i: SpotInputs) -> Check:
    if i.facts.kind in ("Job", "CronJob"):
        return _ok("replicas", "a job is retried by its controller")
    replicas = i.facts.replicas or 1
    if replicas <= 1:
        return _warn("replicas", 0.35, "one replica: an interruption is an outage")
    if replicas == 2:
        return _warn("replicas", 0.85, "two replicas: one interruption halves capacity")
    return _ok("replicas", f"{replicas} replicas")


def _pdb(i: SpotInputs) -> Check:
    f = i.facts
    if f.kind in ("Job", "CronJob"):
        return _ok("pdb", "not needed for a job")
    replicas = max(f.replicas or 1, 1)
    if f.pdb_min_available is None and f.pdb_max_unavailable is None:
        return _warn("pdb", 0.8, "no PodDisruptionBudget: drains may take every replica at once")
    if f.pdb_min_available is not None and f.pdb_min_available / replicas > 0.5:
        detail = f"minAvailable {f.pdb_min_available} of {replicas} replicas (> 50 %)"
        return _warn("pdb", 0.6, detail)
    return _ok("pdb", "PodDisruptionBudget leaves room to drain")


def _storage(i: SpotInputs) -> Check:
    kinds = i.facts.volume_kinds
    if kinds & {"host_path", "local_pv"}:
        return _block("storage", "hostPath or local PV: data is tied to the node")
    if "empty_dir" in kinds:
        return _warn("storage", 0.7, "emptyDir: scratch data is lost on interruption")
    if "pvc" in kinds:
        return _warn("storage", 0.75, "PVC: a ReadWriteOnce volume must re-attach on another node")
    return _ok("storage", "no local or attached storage")


def _surge(i: SpotInputs) -> Check:
    if i.facts.kind != "Deployment":
        return _ok("rollout", "no rolling-update constraint")
    if i.facts.max_surge_pct <= 0:
        return _warn("rollout", 0.85, "maxSurge 0: replacements start only after pods stop")
    return _ok("rollout", f"maxSurge {i.facts.max_surge_pct}% starts replacements early")


def _grace(i: SpotInputs) -> Check:
    notice = INTERRUPTION_NOTICE_S.get(i.provider, DEFAULT_NOTICE_S)
    grace = i.facts.termination_grace_period_s
    if grace + DRAIN_MARGIN_S > notice:
        detail = (
            f"terminationGracePeriodSeconds {grace} s + {DRAIN_MARGIN_S} s drain exceeds the "
            f"{notice} s interruption notice on {i.provider}"
        )
        return _warn("grace_period", 0.6, detail)
    return _ok("grace_period", f"{grace} s fits the {notice} s interruption notice")


def _spread(i: SpotInputs) -> Check:
    if i.facts.kind in ("Job", "CronJob") or (i.facts.replicas or 1) <= 1:
        return _ok("topology", "spread not applicable")
    if i.zones < 2:
        return _warn("topology", 0.8, "all replicas in one zone: a capacity reclaim hits them all")
    return _ok("topology", f"replicas spread over {i.zones} zones")


def _duration(i: SpotInputs) -> Check:
    if i.facts.kind not in ("Job", "CronJob") or i.job_duration_s is None:
        return _ok("duration", "not a batch job")
    minutes = i.job_duration_s / 60
    if i.job_duration_s > LONG_JOB_S:
        return _warn("duration", 0.6, f"runs ~{minutes:.0f} min: an interruption redoes the run")
    return _ok("duration", f"runs ~{minutes:.0f} min")


def _hpa(i: SpotInputs) -> Check:
    if i.facts.has_hpa:
        return _ok("autoscaling", "an HPA adds replicas back when capacity returns")
    return _ok("autoscaling", "fixed replica count")


CHECKS: tuple[Callable[[SpotInputs], Check], ...] = (
    _kind, _replicas, _pdb, _storage, _surge, _grace, _spread, _duration, _hpa,
)  # fmt: skip


def assess(inputs: SpotInputs) -> SpotAssessment:
    """Run every check; the score is the product of their factors (0 with any blocker)."""
    checks = tuple(check(inputs) for check in CHECKS)
    score = 1.0
    for c in checks:
        score *= c.factor
    return SpotAssessment(round(score, 4), checks)
