"""The simulator source as the collector sees it, and the packaged demo scenario."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kubeopt_collector.settings import CollectorSettings
from kubeopt_collector.simulator.events import MAX_MESSAGE_BYTES
from kubeopt_collector.simulator.scenario import DEMO_SCENARIO, load_scenario
from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_collector.source import load_source
from kubeopt_common.events import CapacityType
from kubeopt_common.plugins import PluginError, PluginGroup, load
from tests.collector.builders import scenario

T0 = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> SimulatorSource:
    return SimulatorSource(load_scenario(DEMO_SCENARIO))


def test_demo_is_about_a_hundred_nodes_and_fifteen_hundred_containers(
    demo: SimulatorSource,
) -> None:
    fleet = demo.fleet
    assert [c.provider.value for c in fleet.clusters] == ["aws", "gcp", "azure"]
    assert 90 <= sum(len(c.nodes) for c in fleet.clusters) <= 110
    for hour in (3, 15):
        events = demo.usage_events(T0.replace(hour=hour))
        assert 1300 <= sum(e.sample_count for e in events) <= 1700
        assert max(len(e.model_dump_json()) for e in events) < MAX_MESSAGE_BYTES
    assert all(18 <= len(c.namespaces) <= 22 for c in fleet.clusters)


def test_demo_mixes_every_kind_profile_and_feature(demo: SimulatorSource) -> None:
    workloads = [w for c in demo.fleet.clusters for w in c.workloads]
    assert {w.kind.value for w in workloads} == {
        "Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"
    }  # fmt: skip
    profiles = Counter(c.profile.type for cl in demo.fleet.clusters for c in cl.containers)
    assert set(profiles) == {"constant", "diurnal", "spiky", "leak", "batch"}
    assert any(w.contract.hpa for w in workloads)
    assert any(w.contract.pdb for w in workloads)
    pods = [p for c in demo.fleet.clusters for p in c.pods]
    assert {v.kind.value for p in pods for v in p.volumes} >= {"pvc", "host_path"}
    nodes = [n for c in demo.fleet.clusters for n in c.nodes]
    assert any(n.capacity_type is CapacityType.SPOT for n in nodes)
    flows = [f for e in demo.flow_events(T0) for f in e.flows]
    assert any(f.dst.external for f in flows)
    assert any(f.src.region != f.dst.region and not f.dst.external for f in flows)
    assert any(f.src.zone != f.dst.zone and f.src.region == f.dst.region for f in flows)
    assert demo.prices


def test_simulator_is_the_registered_source_plugin(tmp_path: Path) -> None:
    assert load(PluginGroup.SOURCES, "simulator") is SimulatorSource
    source = load_source(CollectorSettings(state_dir=tmp_path))
    assert isinstance(source, SimulatorSource)
    assert source.clusters == ("aws-prod", "gcp-eu", "azure-west")
    assert source.interval_seconds == 60
    with pytest.raises(PluginError, match=r"no kubeopt\.sources plugin named 'nope'"):
        load_source(CollectorSettings(source="nope"))


def test_windows_must_be_aligned_and_aware() -> None:
    source = SimulatorSource(scenario())
    with pytest.raises(ValueError, match="not aligned to the 60s interval"):
        source.usage_events(T0 + timedelta(seconds=5))
    with pytest.raises(ValueError, match="must be timezone-aware"):
        source.usage_events(T0.replace(tzinfo=None))
    assert source.inventory_events(T0 + timedelta(seconds=5))  # any instant is fine


def test_max_samples_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_samples_per_message must be at least 1"):
        SimulatorSource(scenario(), max_samples_per_message=0)
