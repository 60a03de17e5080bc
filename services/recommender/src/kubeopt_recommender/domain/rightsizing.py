"""Rightsizing one container from its usage profile (pure).

Requests come from decayed percentiles (CPU: per-replica window averages; memory: interval
peaks) plus a safety margin, never below the floors. The memory limit covers the decayed maximum
peak (OOM bumps included) times a headroom factor, so a burst the history has shown does not
kill the container; the CPU limit is removed by default (throttling costs latency, an unused CPU
limit saves nothing). A workload scaled by an HPA keeps the request of the HPA's metric: the HPA
computes utilisation against it, so moving it would move the scaling point.

A change smaller than ``min_change_fraction`` of the current value is not worth a restart: that
resource keeps its current value, and when nothing is left to change there is no recommendation.

Units: millicores and bytes (integers); history in hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from kubeopt_recommender.domain.usage_profile import UsageProfile

MIB = 2**20


class PolicyProfile(StrEnum):
    SAVINGS = "savings"
    BALANCED = "balanced"
    RELIABILITY = "reliability"


@dataclass(frozen=True, slots=True)
class ProfileTargets:
    """Percentiles (fractions), margin (fraction added) and memory-limit headroom (× max)."""

    cpu_percentile: float
    memory_percentile: float
    margin: float
    memory_limit_factor: float


PROFILE_TARGETS: dict[PolicyProfile, ProfileTargets] = {
    PolicyProfile.SAVINGS: ProfileTargets(0.85, 0.90, 0.05, 1.10),
    PolicyProfile.BALANCED: ProfileTargets(0.90, 0.95, 0.10, 1.20),
    PolicyProfile.RELIABILITY: ProfileTargets(0.95, 0.99, 0.20, 1.40),
}


class CpuLimitPolicy(StrEnum):
    NONE = "none"
    KEEP = "keep"
    RATIO = "ratio"


class MemoryLimitPolicy(StrEnum):
    AUTO = "auto"
    REQUEST = "request"
    KEEP = "keep"


@dataclass(frozen=True, slots=True)
class RightsizingPolicy:
    profile: PolicyProfile = PolicyProfile.BALANCED
    cpu_floor_millicores: int = 10
    memory_floor_bytes: int = 32 * MIB
    cpu_limit: CpuLimitPolicy = CpuLimitPolicy.NONE
    cpu_limit_ratio: float = 2.0
    memory_limit: MemoryLimitPolicy = MemoryLimitPolicy.AUTO
    min_change_fraction: float = 0.10
    min_history_hours: float = 24.0
    min_samples: int = 12

    @property
    def targets(self) -> ProfileTargets:
        return PROFILE_TARGETS[self.profile]


@dataclass(frozen=True, slots=True)
class Resources:
    """Requests and limits of one container; ``None`` limit = no limit."""

    cpu_request_millicores: int
    memory_request_bytes: int
    cpu_limit_millicores: int | None
    memory_limit_bytes: int | None


class SkipReason(StrEnum):
    INSUFFICIENT_HISTORY = "insufficient_history"
    NO_USAGE = "no_usage"
    BELOW_MIN_CHANGE = "below_min_change"


@dataclass(frozen=True, slots=True)
class Skipped:
    reason: SkipReason
    detail: str


@dataclass(frozen=True, slots=True)
class Rightsized:
    """The recommendation; ``cpu_target``/``memory_target`` are the raw targets before HPA and
    minimum-change rules, ``memory_max_bytes`` the decayed maximum peak they were sized from."""

    current: Resources
    recommended: Resources
    cpu_target_millicores: int
    memory_target_bytes: int
    memory_max_bytes: int
    reasons: tuple[str, ...]


def _mib_ceil(value: float) -> int:
    return math.ceil(value / MIB) * MIB


def _small(new: int, current: int, fraction: float) -> bool:
    """``new`` differs from a set ``current`` by less than ``fraction`` of it."""
    return current > 0 and abs(new - current) < fraction * current


def rightsize(
    profile: UsageProfile,
    *,
    current: Resources,
    history_hours: float,
    samples: int,
    hpa_metric: str | None,
    policy: RightsizingPolicy,
) -> Rightsized | Skipped:
    """Recommend requests and limits for one container, or say why not."""
    if history_hours < policy.min_history_hours or samples < policy.min_samples:
        detail = (
            f"{history_hours:.1f} h and {samples} samples of history; "
            f"{policy.min_history_hours:g} h and {policy.min_samples} samples needed"
        )
        return Skipped(SkipReason.INSUFFICIENT_HISTORY, detail)
    if profile.is_empty or profile.memory_peaks.is_empty:
        return Skipped(SkipReason.NO_USAGE, "no usage samples in the profile")
    t = policy.targets
    cpu_target = math.ceil(
        max(profile.cpu_millicores(t.cpu_percentile) * (1 + t.margin), policy.cpu_floor_millicores)
    )
    memory_target = _mib_ceil(
        max(profile.memory_bytes(t.memory_percentile) * (1 + t.margin), policy.memory_floor_bytes)
    )
    memory_max = int(profile.memory_bytes(1.0))
    reasons: list[str] = [
        f"CPU P{t.cpu_percentile * 100:g} and memory-peak P{t.memory_percentile * 100:g} "
        f"+{t.margin:.0%} ({policy.profile.value} profile)"
    ]
    cpu, memory = _requests(current, cpu_target, memory_target, hpa_metric, policy, reasons)
    recommended = Resources(
        cpu_request_millicores=cpu,
        memory_request_bytes=memory,
        cpu_limit_millicores=_cpu_limit(current, cpu, policy),
        memory_limit_bytes=_memory_limit(current, memory, memory_max, hpa_metric, policy, reasons),
    )
    if not _material(current, recommended, policy.min_change_fraction):
        return Skipped(
            SkipReason.BELOW_MIN_CHANGE,
            f"every change is below {policy.min_change_fraction:.0%} of the current value",
        )
    return Rightsized(current, recommended, cpu_target, memory_target, memory_max, tuple(reasons))


def _requests(
    current: Resources,
    cpu_target: int,
    memory_target: int,
    hpa_metric: str | None,
    policy: RightsizingPolicy,
    reasons: list[str],
) -> tuple[int, int]:
    cpu, memory = cpu_target, memory_target
    if hpa_metric == "cpu":
        cpu = current.cpu_request_millicores
        reasons.append("an HPA scales on CPU utilisation: the CPU request is kept")
    elif _small(cpu, current.cpu_request_millicores, policy.min_change_fraction):
        cpu = current.cpu_request_millicores
    if hpa_metric == "memory":
        memory = current.memory_request_bytes
        reasons.append("an HPA scales on memory utilisation: the memory request is kept")
    elif _small(memory, current.memory_request_bytes, policy.min_change_fraction):
        memory = current.memory_request_bytes
    return cpu, memory


def _cpu_limit(current: Resources, cpu: int, policy: RightsizingPolicy) -> int | None:
    if policy.cpu_limit is CpuLimitPolicy.NONE:
        return None
    if policy.cpu_limit is CpuLimitPolicy.RATIO:
        return math.ceil(cpu * policy.cpu_limit_ratio)
    if current.cpu_limit_millicores is None:
        return None
    return max(current.cpu_limit_millicores, cpu)


def _memory_limit(
    current: Resources,
    memory: int,
    memory_max: int,
    hpa_metric: str | None,
    policy: RightsizingPolicy,
    reasons: list[str],
) -> int | None:
    if hpa_metric == "memory" or policy.memory_limit is MemoryLimitPolicy.KEEP:
        if current.memory_limit_bytes is None:
            return None
        return max(current.memory_limit_bytes, memory)
    if policy.memory_limit is MemoryLimitPolicy.REQUEST:
        return memory
    wanted = max(memory, _mib_ceil(memory_max * policy.targets.memory_limit_factor))
    limit = current.memory_limit_bytes
    if limit is not None and limit >= memory and _small(wanted, limit, policy.min_change_fraction):
        return limit
    if limit is not None and wanted > limit:
        factor = policy.targets.memory_limit_factor
        reasons.append(f"memory limit raised above the highest peak seen (×{factor:g})")
    return wanted


def _material(current: Resources, new: Resources, fraction: float) -> bool:
    """A request moves by at least ``fraction`` (or is set where none was), or an existing
    memory limit does. Adding a limit or dropping the CPU limit alone is not worth a restart."""
    pairs = [
        (new.cpu_request_millicores, current.cpu_request_millicores),
        (new.memory_request_bytes, current.memory_request_bytes),
    ]
    if current.memory_limit_bytes is not None:
        pairs.append((new.memory_limit_bytes or 0, current.memory_limit_bytes))
    return any(n != c and (c == 0 or abs(n - c) >= fraction * c) for n, c in pairs)
