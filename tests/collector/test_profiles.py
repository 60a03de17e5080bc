"""Usage profile shapes and the determinism of generated usage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_common.events import ContainerSample
from tests.collector.builders import cluster, container, scenario, workload
from tests.collector.samples import samples

T0 = datetime(2025, 1, 6, tzinfo=UTC)
QUIET = {"noise": 0, "jitter": 0, "burst": 0}
MI = 2**20


def source_with(profile: dict[str, Any], **spec: Any) -> SimulatorSource:
    c = container(profile={**QUIET, **profile}, **spec)
    return SimulatorSource(scenario(cluster(workloads=[workload(containers=[c])])))


def only(source: SimulatorSource, at: datetime) -> ContainerSample:
    (sample,) = samples(source.usage_events(at))
    return sample


def test_constant_profile_is_its_level() -> None:
    usage = only(source_with({"type": "constant", "cpu": "40%", "memory": "300Mi"}), T0)
    assert usage.cpu_usage_millicores == 100  # 40 % of the 250m request
    assert usage.memory_usage_bytes == 300 * MI
    assert usage.cpu_peak_millicores == 100
    assert (usage.cpu_throttled_ms, usage.oom_kills, usage.restarts) == (0, 0, 0)


def test_diurnal_peaks_at_peak_hour_and_dips_half_a_period_later() -> None:
    source = source_with({"type": "diurnal", "cpu": "100%", "amplitude": 0.5, "peak_hour": 15})
    at = [T0 + timedelta(hours=h) for h in range(24)]
    cpu = [only(source, t).cpu_usage_millicores for t in at]
    assert cpu.index(max(cpu)) == 15
    assert cpu.index(min(cpu)) == 3
    assert cpu[15] == pytest.approx(375, abs=2)  # 250m * (1 + 0.5)
    assert cpu[3] == pytest.approx(125, abs=2)  # 250m * (1 - 0.5)


def test_leak_grows_until_the_limit_then_oom_kills_and_restarts() -> None:
    source = source_with(
        {"type": "leak", "memory": "50Mi", "leak_per_hour": "50Mi"},
        memory="100Mi",
        limits={"memory": "100Mi"},
    )  # grows 50Mi -> 100Mi in one hour
    windows = [only(source, T0 + timedelta(minutes=m)) for m in range(120)]
    kills = [i for i, u in enumerate(windows) if u.oom_kills]
    assert len(kills) == 2
    assert kills[1] - kills[0] == 60
    for i in kills:
        assert windows[i].restarts == 1
        assert windows[i].memory_peak_bytes == 100 * MI
        assert windows[i + 1].memory_usage_bytes < windows[i - 1].memory_usage_bytes
    growing = windows[kills[0] + 1 : kills[1]]
    assert all(a.memory_usage_bytes < b.memory_usage_bytes for a, b in pairwise(growing))
    assert all(u.memory_usage_bytes <= 100 * MI for u in windows)


def test_cpu_above_the_limit_is_capped_and_throttled() -> None:
    limited = only(source_with({"type": "constant", "cpu": "200%"}, limits={"cpu": "250m"}), T0)
    assert limited.cpu_usage_millicores == 250
    assert limited.cpu_peak_millicores == 250
    assert limited.cpu_throttled_ms == 30_000  # demand is twice the limit: half the window
    unlimited = only(source_with({"type": "constant", "cpu": "200%"}), T0)
    assert (unlimited.cpu_usage_millicores, unlimited.cpu_throttled_ms) == (500, 0)


def test_memory_above_the_limit_is_an_oom_kill() -> None:
    usage = only(
        source_with(
            {"type": "constant", "memory": "150%"}, memory="100Mi", limits={"memory": "100Mi"}
        ),
        T0,
    )
    assert (usage.oom_kills, usage.restarts) == (1, 1)
    assert usage.memory_peak_bytes == 100 * MI


def test_spikes_multiply_usage() -> None:
    always = {"type": "spiky", "cpu": "20%", "spike_probability": 1, "spike_magnitude": 3}
    assert only(source_with(always), T0).cpu_usage_millicores == 150
    never = {**always, "spike_probability": 0}
    assert only(source_with(never), T0).cpu_usage_millicores == 50


def test_cronjob_pods_exist_only_while_a_run_is_active() -> None:
    batch = {"type": "batch", "cpu": "100%", "duration_minutes": 10}
    c = cluster(
        workloads=[
            workload(
                "report",
                kind="CronJob",
                schedule="0 * * * *",
                containers=[container(profile=batch)],
            )
        ]
    )
    source = SimulatorSource(scenario(c))
    present = [bool(samples(source.usage_events(T0 + timedelta(minutes=m)))) for m in range(120)]
    assert present == ([True] * 10 + [False] * 50) * 2
    names = {s.pod for s in samples(source.usage_events(T0 + timedelta(minutes=61)))}
    (name,) = names
    assert name.startswith(f"report-{int((T0 + timedelta(hours=1)).timestamp()) // 60}-")


def test_batch_container_in_a_long_running_pod_idles_between_runs() -> None:
    batch = {
        "type": "batch",
        "cpu": "100%",
        "duration_minutes": 5,
        "every_minutes": 30,
        "idle": 0.1,
    }
    source = source_with(batch)
    cpu = [only(source, T0 + timedelta(minutes=m)).cpu_usage_millicores for m in range(60)]
    assert sorted(set(cpu)) == [25, 250]
    assert cpu.count(250) == 10  # two runs of five minutes in an hour


def test_same_window_twice_is_identical() -> None:
    source = source_with({"type": "spiky", "noise": 0.3, "burst": 0.5, "jitter": 0.2})
    first = [e.model_dump_json() for e in source.usage_events(T0)]
    second = [e.model_dump_json() for e in SimulatorSource(source.scenario).usage_events(T0)]
    assert first == second


def test_usage_does_not_depend_on_generation_order() -> None:
    base = source_with({"type": "diurnal", "noise": 0.3, "burst": 0.5})
    windows = [T0 + timedelta(minutes=m) for m in range(0, 300, 37)]
    forward = {w: base.usage_events(w) for w in windows}
    fresh = SimulatorSource(base.scenario)
    backward = {w: fresh.usage_events(w) for w in reversed(windows)}
    assert forward == backward


def test_usage_of_a_container_does_not_depend_on_other_workloads() -> None:
    noisy = {"type": "spiky", "noise": 0.3, "burst": 0.5, "jitter": 0.2, "spike_probability": 0.3}
    api = workload(containers=[container(profile=noisy)])
    alone = SimulatorSource(scenario(cluster(workloads=[api])))
    crowded = SimulatorSource(
        scenario(
            cluster(workloads=[workload("batch", replicas=4), api, workload("db", replicas=2)])
        )
    )

    def api_usage(source: SimulatorSource) -> list[ContainerSample]:
        return [
            s
            for m in range(30)
            for s in samples(source.usage_events(T0 + timedelta(minutes=m)))
            if s.workload == "api"
        ]

    assert api_usage(alone) == api_usage(crowded)


def test_noise_varies_usage_between_windows() -> None:
    source = source_with({"type": "constant", "noise": 0.2, "burst": 0.5})
    cpu = {only(source, T0 + timedelta(minutes=m)).cpu_usage_millicores for m in range(30)}
    assert len(cpu) > 10
    peaks = [only(source, T0 + timedelta(minutes=m)) for m in range(30)]
    assert all(u.cpu_peak_millicores >= u.cpu_usage_millicores for u in peaks)
