"""Rightsizing one container: profiles, margin, floors, HPA, limits, thresholds, history."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from kubeopt_recommender.domain.rightsizing import (
    CpuLimitPolicy,
    MemoryLimitPolicy,
    PolicyProfile,
    Resources,
    Rightsized,
    RightsizingPolicy,
    Skipped,
    SkipReason,
    rightsize,
)
from kubeopt_recommender.domain.usage_profile import UsageProfile
from tests.recommender.test_usage_profile import MIB, folded, series

DAY_WINDOWS = 288
CURRENT = Resources(1000, 2048 * MIB, 2000, 2048 * MIB)


def busy_profile(*, cpu: int = 200, memory: int = 400 * MIB) -> UsageProfile:
    rng = np.random.default_rng(1)
    n = 2 * DAY_WINDOWS
    return folded(
        series(
            n,
            cpu_usage=(cpu * (1 + 0.2 * rng.standard_normal(n))).clip(1).astype(np.int64),
            memory_peak=(memory * (1 + 0.05 * rng.random(n))).astype(np.int64),
            memory_usage=memory,
        )
    )


def decide(usage: UsageProfile, **policy: Any) -> Rightsized | Skipped:
    return rightsize(
        usage,
        current=CURRENT,
        history_hours=48,
        samples=576,
        hpa_metric=None,
        policy=replace(RightsizingPolicy(), **policy),
    )


def test_profiles_order_their_requests() -> None:
    profile = busy_profile()
    made = [decide(profile, profile=p) for p in PolicyProfile]
    assert all(isinstance(m, Rightsized) for m in made)
    cpus = [m.recommended.cpu_request_millicores for m in made if isinstance(m, Rightsized)]
    mems = [m.recommended.memory_request_bytes for m in made if isinstance(m, Rightsized)]
    assert cpus == sorted(cpus)
    assert mems == sorted(mems)
    assert cpus[0] < cpus[-1]


def test_balanced_is_p90_plus_ten_percent_and_the_memory_limit_covers_the_peak() -> None:
    profile = busy_profile()
    made = decide(profile)
    assert isinstance(made, Rightsized)
    assert made.recommended.cpu_request_millicores == pytest.approx(
        profile.cpu_millicores(0.9) * 1.1, abs=1
    )
    assert made.recommended.memory_limit_bytes is not None
    assert made.recommended.memory_limit_bytes >= profile.memory_bytes(1.0) * 1.2
    assert made.recommended.cpu_limit_millicores is None  # no CPU limit by default
    assert made.recommended.memory_request_bytes % MIB == 0


def test_floors_hold_for_idle_containers() -> None:
    made = decide(busy_profile(cpu=1, memory=2 * MIB))
    assert isinstance(made, Rightsized)
    assert made.recommended.cpu_request_millicores == 10
    assert made.recommended.memory_request_bytes == 32 * MIB


def test_an_hpa_on_cpu_keeps_the_cpu_request() -> None:
    made = rightsize(
        busy_profile(),
        current=CURRENT,
        history_hours=48,
        samples=576,
        hpa_metric="cpu",
        policy=RightsizingPolicy(),
    )
    assert isinstance(made, Rightsized)
    assert made.recommended.cpu_request_millicores == CURRENT.cpu_request_millicores
    assert made.recommended.memory_request_bytes < CURRENT.memory_request_bytes
    assert any("HPA" in r for r in made.reasons)


def test_an_hpa_on_memory_keeps_memory_request_and_limit() -> None:
    made = rightsize(
        busy_profile(),
        current=CURRENT,
        history_hours=48,
        samples=576,
        hpa_metric="memory",
        policy=RightsizingPolicy(),
    )
    assert isinstance(made, Rightsized)
    assert made.recommended.memory_request_bytes == CURRENT.memory_request_bytes
    assert made.recommended.memory_limit_bytes == CURRENT.memory_limit_bytes


def test_too_little_history_gives_no_recommendation() -> None:
    made = rightsize(
        busy_profile(),
        current=CURRENT,
        history_hours=3,
        samples=36,
        hpa_metric=None,
        policy=RightsizingPolicy(min_history_hours=24),
    )
    assert isinstance(made, Skipped)
    assert made.reason is SkipReason.INSUFFICIENT_HISTORY
    assert "3.0 h" in made.detail


def test_small_changes_are_not_recommended() -> None:
    profile = busy_profile()
    first = decide(profile)
    assert isinstance(first, Rightsized)
    again = rightsize(
        profile,
        current=first.recommended,
        history_hours=48,
        samples=576,
        hpa_metric=None,
        policy=RightsizingPolicy(),
    )
    assert isinstance(again, Skipped)
    assert again.reason is SkipReason.BELOW_MIN_CHANGE


@pytest.mark.parametrize(
    ("policy", "expected"),
    [(CpuLimitPolicy.NONE, None), (CpuLimitPolicy.KEEP, 2000), (CpuLimitPolicy.RATIO, "2x")],
)
def test_cpu_limit_policies(policy: CpuLimitPolicy, expected: int | str | None) -> None:
    made = decide(busy_profile(), cpu_limit=policy)
    assert isinstance(made, Rightsized)
    limit = made.recommended.cpu_limit_millicores
    if expected == "2x":
        assert limit == made.recommended.cpu_request_millicores * 2
    else:
        assert limit == expected


def test_memory_limit_equal_to_request() -> None:
    made = decide(busy_profile(), memory_limit=MemoryLimitPolicy.REQUEST)
    assert isinstance(made, Rightsized)
    assert made.recommended.memory_limit_bytes == made.recommended.memory_request_bytes


def test_ooms_push_the_memory_up_past_the_limit_that_killed() -> None:
    n = 2 * DAY_WINDOWS
    ooms = np.zeros(n, dtype=np.int64)
    ooms[::50] = 1
    profile = folded(series(n, memory_peak=256 * MIB, memory_request=256 * MIB, oom_kills=ooms))
    current = Resources(200, 256 * MIB, None, 256 * MIB)
    made = rightsize(
        profile,
        current=current,
        history_hours=48,
        samples=n,
        hpa_metric=None,
        policy=RightsizingPolicy(),
    )
    assert isinstance(made, Rightsized)
    assert made.recommended.memory_limit_bytes is not None
    assert made.recommended.memory_limit_bytes > 356 * MIB
    assert any("limit raised" in r for r in made.reasons)
