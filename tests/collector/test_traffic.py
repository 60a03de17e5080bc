"""Flows resolve to real pods, nodes, zones and regions."""

from __future__ import annotations

from datetime import UTC, datetime

from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_common.events import WorkloadKind, event_id_for
from tests.collector.builders import cluster, pool, scenario, workload

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


def two_clusters() -> SimulatorSource:
    aws = cluster(
        "aws",
        pools=[pool(count=3, zones=("us-east-1a", "us-east-1b", "us-east-1c"))],
        workloads=[workload("api", replicas=3), workload("cache", kind="StatefulSet", replicas=1)],
        flows=[
            {"from": "apps/api", "to": "apps/cache", "bytes_per_second": 1000},
            {
                "from": "apps/api",
                "to": "internet",
                "bytes_per_second": 500,
                "via_nat_gateway": True,
            },
            {"from": "apps/api", "to": "gcp/apps/api", "bytes_per_second": 100},
        ],
    )
    gcp = cluster(
        "gcp",
        provider="gcp",
        region="europe-west1",
        pools=[pool(instance_type="n2-standard-4", count=2, zones=("europe-west1-b",))],
        workloads=[workload("api", replicas=2)],
    )
    return SimulatorSource(scenario(aws, gcp))


def test_flows_connect_real_pods_with_their_zones() -> None:
    source = two_clusters()
    (event,) = [e for e in source.flow_events(T0) if e.cluster == "aws"]
    assert event.event_id == event_id_for("flows", "aws", int(T0.timestamp()), 0)
    assert event.window_start == T0
    local = [f for f in event.flows if f.dst.workload == "cache"]
    assert len(local) == 3  # each api pod talks to the cache pod
    assert {f.src.zone for f in local} == {"us-east-1a", "us-east-1b", "us-east-1c"}
    assert {f.dst.pod for f in local} == {"cache-0"}
    assert all(f.src.workload_kind is WorkloadKind.DEPLOYMENT and f.src.node for f in local)
    assert 54_000 <= sum(f.bytes_sent for f in local) <= 66_000  # 1000 B/s * 60 s +-10 %


def test_internet_and_cross_region_flows() -> None:
    source = two_clusters()
    (event,) = [e for e in source.flow_events(T0) if e.cluster == "aws"]
    internet = [f for f in event.flows if f.dst.external]
    assert internet
    assert all(f.via_nat_gateway and f.dst.ip.startswith("203.0.113.") for f in internet)
    remote = [f for f in event.flows if f.dst.region == "europe-west1"]
    assert {f.dst.zone for f in remote} == {"europe-west1-b"}
    assert {f.src.region for f in remote} == {"us-east-1"}
    assert len(remote) == 6  # 3 senders x 2 receivers


def test_flows_are_deterministic() -> None:
    assert two_clusters().flow_events(T0) == two_clusters().flow_events(T0)
    assert [e.cluster for e in two_clusters().flow_events(T0)] == ["aws"]  # gcp sends nothing
