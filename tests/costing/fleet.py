"""A tiny hand-checkable fleet for costing tests: one m5.xlarge node, two workloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kubeopt_common.events import CapacityType, Node, UsageSampled, WorkloadKind, event_id_for
from tests.builders import make_container_sample, make_node, make_usage_sampled

GIB = 1024**3
HOUR = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
M5_XLARGE_NANO_PER_HOUR = 192_000_000  # us-east-1 on-demand list price in the catalog


def node_a(*, spot: bool = False) -> Node:
    return make_node(
        name="node-a",
        instance_type="m5.xlarge",
        zone="us-east-1a",
        cpu_capacity_millicores=4_000,
        memory_capacity_bytes=16 * GIB,
        capacity_type=CapacityType.SPOT if spot else CapacityType.ON_DEMAND,
    )


def usage(minute: int, *, cluster: str = "prod", spot: bool = False) -> UsageSampled:
    """Minute ``minute`` after :data:`HOUR`: web (under its request) and etl (above it)."""
    web = make_container_sample(
        namespace="shop",
        pod="web-1",
        workload="web",
        container="app",
        labels={"team": "storefront"},
        cpu_request_millicores=1_000,
        cpu_usage_millicores=500,
        memory_request_bytes=2 * GIB,
        memory_usage_bytes=GIB,
    )
    etl = make_container_sample(
        namespace="data",
        pod="etl-1",
        workload_kind=WorkloadKind.JOB,
        workload="etl",
        container="main",
        labels={},
        cpu_request_millicores=500,
        cpu_usage_millicores=1_500,
        memory_request_bytes=4 * GIB,
        memory_usage_bytes=4 * GIB,
    )
    start = HOUR + timedelta(minutes=minute)
    return make_usage_sampled(
        [(node_a(spot=spot), [web, etl])],
        event_id=event_id_for("test-usage", cluster, start),
        cluster=cluster,
        window_start=start,
        window_seconds=60,
    )
