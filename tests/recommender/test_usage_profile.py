"""Usage profiles: interval peaks, OOM bumps, behaviour signals, storage, batching."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from kubeopt_recommender.domain.samples import SampleSeries, collect_samples
from kubeopt_recommender.domain.usage_profile import ProfileParams, UsageProfile
from tests.recommender.builders import T0, WINDOW_S, node, sample, usage_event

MIB = 2**20
HOUR = 3600
KEY = ("c", "shop", "Deployment", "cart", "app")
BASE = 1_700_006_400  # a whole hour


def series(n: int, *, start: int = BASE, step: int = 300, **columns: Any) -> SampleSeries:
    defaults: dict[str, Any] = {
        "cpu_usage": 100,
        "cpu_peak": 150,
        "memory_usage": 200 * MIB,
        "memory_peak": 220 * MIB,
        "throttled_ms": 0,
        "oom_kills": 0,
        "restarts": 0,
        "memory_request": 512 * MIB,
        "memory_limit": 0,
    }
    values = {**defaults, **columns}
    return SampleSeries(
        key=KEY,
        start_s=np.arange(n, dtype=np.int64) * step + start,
        window_s=np.full(n, step, dtype=np.int64),
        node="n1",
        **{
            k: np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)).copy()
            for k, v in values.items()
        },
    )


def folded(*parts: SampleSeries, params: ProfileParams | None = None) -> UsageProfile:
    p = params or ProfileParams()
    profile = UsageProfile.empty(p)
    for part in parts:
        profile.fold(part, p)
    return profile


def test_one_peak_per_interval_the_highest() -> None:
    peaks = [200 * MIB] * 11 + [400 * MIB]  # one hour of 5-minute windows
    profile = folded(series(12, memory_peak=peaks))
    assert profile.memory_peaks.total_weight() == 1.0
    assert 400 * MIB <= profile.memory_bytes(0.5) <= 410 * MIB


def test_a_late_sample_of_an_older_interval_is_left_out_of_the_peaks() -> None:
    profile = folded(series(12, start=BASE + HOUR), series(1, start=BASE, memory_peak=900 * MIB))
    assert profile.memory_bytes(1.0) < 300 * MIB
    assert profile.moments.n == 13  # still counted as a sample


def test_an_oom_kill_bumps_the_memory_peak() -> None:
    profile = folded(
        series(3, memory_peak=256 * MIB, memory_request=256 * MIB, oom_kills=[0, 1, 0])
    )
    # max(256 MiB + 100 MiB, 256 MiB × 1.2) = 356 MiB
    assert 356 * MIB <= profile.memory_bytes(1.0) <= 356 * MIB * 1.03
    assert profile.oom_bumps == 1


def test_diurnal_strength_and_memory_trend() -> None:
    day = 288
    t = np.arange(2 * day)
    wave = (100 + 80 * np.sin(2 * np.pi * t / day)).astype(np.int64)
    diurnal = folded(series(2 * day, cpu_usage=wave))
    flat = folded(series(2 * day))
    assert diurnal.diurnal_strength() > 0.4
    assert flat.diurnal_strength() < 0.01
    leak = folded(series(2 * day, memory_usage=(200 + t // 10) * MIB))
    assert leak.memory_trend_per_day() > 0.05
    assert abs(flat.memory_trend_per_day()) < 1e-9


def test_storage_round_trip() -> None:
    profile = folded(series(50, cpu_usage=np.arange(50) + 10, oom_kills=[1] + [0] * 49))
    again = UsageProfile.from_bytes(profile.to_bytes())
    assert again.cpu_millicores(0.9) == profile.cpu_millicores(0.9)
    assert again.memory_bytes(1.0) == profile.memory_bytes(1.0)
    assert again.moments == profile.moments
    assert again.oom_bumps == 1
    assert again.interval_index == profile.interval_index


def test_batching_does_not_change_the_profile() -> None:
    whole = series(
        240, cpu_usage=np.arange(240) % 37 + 20, memory_peak=(np.arange(240) % 13 + 200) * MIB
    )
    columns = (
        "start_s",
        "window_s",
        "cpu_usage",
        "cpu_peak",
        "memory_usage",
        "memory_peak",
        "throttled_ms",
        "oom_kills",
        "restarts",
        "memory_request",
        "memory_limit",
    )
    parts = [
        replace(whole, **{c: getattr(whole, c)[i : i + 40] for c in columns})
        for i in range(0, 240, 40)
    ]
    a, b = folded(whole), folded(*parts)
    for p in (0.5, 0.95, 1.0):
        assert a.cpu_millicores(p) == b.cpu_millicores(p)
        assert a.memory_bytes(p) == b.memory_bytes(p)


def test_samples_are_collected_per_container_from_events() -> None:
    events = [
        usage_event(
            window_start=T0, nodes=[node("n1", sample(pod="a")), node("n2", sample(pod="b"))]
        ),
        usage_event(
            window_start=T0.replace(minute=5), nodes=[node("n2", sample(pod="b", oom_kills=1))]
        ),
    ]
    [s], nodes = collect_samples(events)
    assert s.key == ("c1", "shop", "Deployment", "cart", "app")
    assert len(s) == 3
    assert int(s.oom_kills.sum()) == 1
    assert s.node == "n2"
    assert int(s.window_s[0]) == WINDOW_S
    assert [n.node.name for n in nodes] == ["n1", "n2"]
