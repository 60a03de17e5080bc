"""HPA scaling: replicas follow load between min and max."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kubeopt_collector.simulator.source import SimulatorSource
from tests.collector.builders import cluster, container, pool, scenario, workload
from tests.collector.samples import samples

T0 = datetime(2025, 1, 6, tzinfo=UTC)


def hpa_source() -> SimulatorSource:
    profile = {"type": "diurnal", "cpu": "100%", "amplitude": 0.5, "peak_hour": 15, "noise": 0,
               "jitter": 0, "burst": 0}  # fmt: skip
    web = workload(
        "web",
        replicas=4,
        hpa={"min_replicas": 2, "max_replicas": 10, "target_utilization_pct": 50},
        containers=[container(cpu="250m", profile=profile)],
    )
    return SimulatorSource(scenario(cluster(pools=[pool(count=6)], workloads=[web])))


def running(source: SimulatorSource, at: datetime) -> list[int]:
    return [s.cpu_usage_millicores for s in samples(source.usage_events(at))]


def test_replicas_follow_load_within_min_and_max() -> None:
    source = hpa_source()
    trough = running(source, T0 + timedelta(hours=3))  # load 4 pods * 125m, target 125m/pod
    assert len(trough) == 4
    assert trough == [125] * 4
    peak = running(source, T0 + timedelta(hours=15))  # wants 12 pods, capped at 10
    assert len(peak) == 10
    assert peak == [150] * 10  # the load of 4 pods at 375m spread over 10


def test_inventory_reports_current_replicas() -> None:
    source = hpa_source()
    (trough,) = source.inventory_events(T0 + timedelta(hours=3, seconds=5))
    (peak,) = source.inventory_events(T0 + timedelta(hours=15, seconds=5))
    assert trough.workloads[0].replicas == 4
    assert len(trough.pods) == 4
    assert peak.workloads[0].replicas == 10
    assert len(peak.pods) == 10
    assert peak.workloads[0].hpa is not None
    assert peak.workloads[0].hpa.max_replicas == 10


def test_scaling_is_the_same_in_any_order() -> None:
    hours = [15, 3, 9, 21, 15]
    forward = [len(running(hpa_source(), T0 + timedelta(hours=h))) for h in hours]
    source = hpa_source()
    assert [len(running(source, T0 + timedelta(hours=h))) for h in hours] == forward
