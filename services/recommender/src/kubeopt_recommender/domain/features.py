"""Features of a rightsizing recommendation for the confidence model, and the fallback score.

The features describe the evidence (history length and coverage, sample count), the workload's
behaviour (variability, burstiness, diurnal strength, memory trend, OOMs and restarts), its
shape (replicas, HPA, kind) and the size of the change. They are stored with every
recommendation, so recorded outcomes become training rows.

Before any model exists the confidence is :func:`history_confidence`, a documented heuristic on
history length alone (VPA's confidence is likewise history only): ``0.5 + 0.45 · (1 − 2^(−d/2))``
with ``d`` the days of history actually covered by samples — 0.5 with no history, ~0.73 after
two days, ~0.92 after eight (VPA's bounds settle after about eight days).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from kubeopt_recommender.domain.rightsizing import PolicyProfile, Resources
from kubeopt_recommender.domain.usage_profile import UsageProfile

FEATURE_NAMES: tuple[str, ...] = (
    "history_days",
    "coverage",
    "log_samples",
    "cpu_cv",
    "cpu_burstiness",
    "cpu_p99_over_p50",
    "memory_cv",
    "memory_trend_per_day",
    "memory_max_over_p50",
    "diurnal_strength",
    "oom_per_day",
    "restarts_per_day",
    "oom_bumps",
    "replicas",
    "has_hpa",
    "hpa_on_cpu",
    "kind_code",
    "cpu_change_ratio",
    "memory_change_ratio",
    "memory_limit_over_max",
    "memory_request_over_p99",
    "cpu_limit_over_peak",
    "profile_code",
)
KIND_CODES = {"Deployment": 0, "StatefulSet": 1, "DaemonSet": 2, "CronJob": 3, "Job": 4, "Pod": 5}
PROFILE_CODES = {PolicyProfile.SAVINGS: 0, PolicyProfile.BALANCED: 1, PolicyProfile.RELIABILITY: 2}
NO_LIMIT_RATIO = 10.0
"""Headroom feature value for "no limit" (a limit ten times the peak never binds)."""

Features = dict[str, float]


@dataclass(frozen=True, slots=True)
class EvidenceFacts:
    """What the observation history adds to the profile: counts over the whole history."""

    history_days: float
    covered_days: float
    samples: int
    oom_kills: int
    restarts: int
    replicas: float
    kind: str
    hpa_metric: str | None


def _ratio(new: float, old: float) -> float:
    return new / old if old > 0 else 0.0


def _headroom(limit: int | None, peak: float) -> float:
    if limit is None:
        return NO_LIMIT_RATIO
    return min(limit / peak, NO_LIMIT_RATIO) if peak > 0 else NO_LIMIT_RATIO


def rightsizing_features(
    profile: UsageProfile,
    evidence: EvidenceFacts,
    *,
    current: Resources,
    recommended: Resources,
    policy: PolicyProfile,
) -> Features:
    """The model's input for one recommendation; keys are :data:`FEATURE_NAMES`."""
    days = max(evidence.history_days, 1e-3)
    cpu_p50 = profile.cpu_millicores(0.5)
    memory_p50 = profile.memory_bytes(0.5)
    memory_max = profile.memory_bytes(1.0)
    features: Features = {
        "history_days": evidence.history_days,
        "coverage": min(evidence.covered_days / days, 1.0),
        "log_samples": math.log10(1 + evidence.samples),
        "cpu_cv": profile.cpu_cv(),
        "cpu_burstiness": profile.cpu_burstiness(),
        "cpu_p99_over_p50": _ratio(profile.cpu_millicores(0.99), cpu_p50),
        "memory_cv": profile.memory_cv(),
        "memory_trend_per_day": profile.memory_trend_per_day(),
        "memory_max_over_p50": _ratio(memory_max, memory_p50),
        "diurnal_strength": profile.diurnal_strength(),
        "oom_per_day": evidence.oom_kills / days,
        "restarts_per_day": evidence.restarts / days,
        "oom_bumps": float(profile.oom_bumps),
        "replicas": evidence.replicas,
        "has_hpa": 1.0 if evidence.hpa_metric else 0.0,
        "hpa_on_cpu": 1.0 if evidence.hpa_metric == "cpu" else 0.0,
        "kind_code": float(KIND_CODES.get(evidence.kind, 5)),
        "cpu_change_ratio": _ratio(
            recommended.cpu_request_millicores, current.cpu_request_millicores
        ),
        "memory_change_ratio": _ratio(
            recommended.memory_request_bytes, current.memory_request_bytes
        ),
        "memory_limit_over_max": _headroom(recommended.memory_limit_bytes, memory_max),
        "memory_request_over_p99": _ratio(
            recommended.memory_request_bytes, profile.memory_bytes(0.99)
        ),
        "cpu_limit_over_peak": _headroom(recommended.cpu_limit_millicores, profile.cpu_peak_max),
        "profile_code": float(PROFILE_CODES[policy]),
    }
    return {name: float(features[name]) for name in FEATURE_NAMES}


def feature_vector(
    features: Mapping[str, float], names: tuple[str, ...] = FEATURE_NAMES
) -> list[float]:
    """Values in ``names`` order; a missing feature is NaN (xgboost treats it as missing)."""
    return [float(features.get(name, math.nan)) for name in names]


def history_confidence(covered_days: float) -> float:
    """The fallback confidence (see the module docstring); in [0.5, 0.95)."""
    days = max(covered_days, 0.0)
    return 0.5 + 0.45 * (1.0 - math.pow(2.0, -days / 2.0))
