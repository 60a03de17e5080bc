"""Small builders for every event contract: valid defaults, any field overridable by keyword.

Each ``make_<thing>(**overrides)`` returns a validated model, so an override that breaks the
contract raises the same ``ValidationError`` a consumer would see. Events are built through
``Event.create`` (random ``event_id``, current schema version) unless the override says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeAlias

from kubeopt_common.events import (
    AnomalyDetected,
    BudgetThresholdCrossed,
    ContainerColumns,
    ContainerSample,
    ContainerSpec,
    DeadLetter,
    Endpoint,
    Flow,
    FlowsObserved,
    Hpa,
    InventorySnapshotted,
    Namespace,
    Node,
    NodeUsage,
    ObjectRef,
    Pdb,
    Pod,
    Provider,
    RecommendationCreated,
    RecommendationKind,
    RecommendationState,
    RecommendationUpdated,
    Severity,
    SpendUpdated,
    Target,
    UsageBatchBuilder,
    UsageSampled,
    Volume,
    VolumeKind,
    Workload,
    WorkloadKind,
)

# A fixed, aware UTC instant: builders are deterministic except for event ids.
T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
CLUSTER = "test-cluster"
PRODUCER = "tests"
GIB = 1024**3


def _envelope(overrides: dict[str, Any]) -> dict[str, Any]:
    return {"cluster": CLUSTER, "producer": PRODUCER, "occurred_at": T0, **overrides}


# ----------------------------------------------------------------------------- inventory values
def make_node(**overrides: Any) -> Node:
    fields: dict[str, Any] = {
        "name": "node-a",
        "instance_type": "m5.xlarge",
        "zone": "us-east-1a",
        "cpu_capacity_millicores": 4000,
        "memory_capacity_bytes": 16 * GIB,
    }
    return Node.model_validate({**fields, **overrides})


def make_container_spec(**overrides: Any) -> ContainerSpec:
    fields: dict[str, Any] = {
        "name": "app",
        "cpu_request_millicores": 250,
        "memory_request_bytes": 512 * 1024**2,
    }
    return ContainerSpec.model_validate({**fields, **overrides})


def make_volume(**overrides: Any) -> Volume:
    fields: dict[str, Any] = {
        "name": "data",
        "kind": VolumeKind.PVC,
        "claim": "data-app-0",
        "storage_class": "gp3",
        "size_bytes": 10 * GIB,
    }
    return Volume.model_validate({**fields, **overrides})


def make_pod(**overrides: Any) -> Pod:
    fields: dict[str, Any] = {
        "namespace": "default",
        "name": "app-5d9c7b-x2x7q",
        "node": "node-a",
        "workload_kind": WorkloadKind.DEPLOYMENT,
        "workload": "app",
        "containers": (make_container_spec(),),
        "started_at": T0,
    }
    return Pod.model_validate({**fields, **overrides})


def make_hpa(**overrides: Any) -> Hpa:
    fields: dict[str, Any] = {"min_replicas": 2, "max_replicas": 10, "target_utilization_pct": 70}
    return Hpa.model_validate({**fields, **overrides})


def make_pdb(**overrides: Any) -> Pdb:
    return Pdb.model_validate({"min_available": 1, **overrides})


def make_workload(**overrides: Any) -> Workload:
    fields: dict[str, Any] = {
        "namespace": "default",
        "kind": WorkloadKind.DEPLOYMENT,
        "name": "app",
        "replicas": 2,
    }
    return Workload.model_validate({**fields, **overrides})


def make_namespace(**overrides: Any) -> Namespace:
    return Namespace.model_validate({"name": "default", **overrides})


def make_object_ref(**overrides: Any) -> ObjectRef:
    fields: dict[str, Any] = {"kind": "Pod", "namespace": "default", "name": "app-old"}
    return ObjectRef.model_validate({**fields, **overrides})


def make_inventory_snapshotted(**overrides: Any) -> InventorySnapshotted:
    fields: dict[str, Any] = {
        "snapshot_id": "snap-1",
        "kind": "full",
        "provider": Provider.AWS,
        "region": "us-east-1",
        "taken_at": T0,
        "namespaces": (make_namespace(),),
        "nodes": (make_node(),),
        "workloads": (make_workload(),),
        "pods": (make_pod(),),
    }
    return InventorySnapshotted.create(**_envelope({**fields, **overrides}))


# ----------------------------------------------------------------------------- usage
NodeSamples: TypeAlias = tuple[Node, Sequence[ContainerSample]]


def make_container_sample(**overrides: Any) -> ContainerSample:
    """One container's usage row (the producers' row view of ``ContainerColumns``)."""
    fields: dict[str, Any] = {
        "namespace": "default",
        "pod": "app-5d9c7b-x2x7q",
        "workload_kind": WorkloadKind.DEPLOYMENT,
        "workload": "app",
        "container": "app",
        "labels": {"app": "app"},
        "cpu_request_millicores": 250,
        "memory_request_bytes": 512 * 1024**2,
        "cpu_usage_millicores": 120,
        "cpu_peak_millicores": 300,
        "memory_usage_bytes": 300 * 1024**2,
        "memory_peak_bytes": 350 * 1024**2,
    }
    return ContainerSample(**{**fields, **overrides})


def make_container_columns(
    *samples: ContainerSample, builder: UsageBatchBuilder | None = None
) -> ContainerColumns:
    """Columns of ``samples`` (one default sample when none are given).

    Pass the ``builder`` of the event the columns go into, so label-set indices line up with its
    ``label_sets``; :func:`make_usage_sampled` does that for you.
    """
    rows = samples or (make_container_sample(),)
    return (builder or UsageBatchBuilder()).columns(rows)


def make_node_usage(**overrides: Any) -> NodeUsage:
    fields: dict[str, Any] = {"node": make_node(), "containers": make_container_columns()}
    return NodeUsage.model_validate({**fields, **overrides})


def make_usage_sampled(
    nodes: Sequence[NodeSamples] | None = None, **overrides: Any
) -> UsageSampled:
    """A usage batch of ``nodes`` — ``(node, [sample, ...])`` pairs — turned into columns.

    Defaults to one node running one container. Label sets are interned across all nodes, so the
    indices in the columns match ``label_sets``.
    """
    builder = UsageBatchBuilder()
    pairs = nodes if nodes is not None else [(make_node(), [make_container_sample()])]
    node_usage = tuple(
        NodeUsage(node=node, containers=builder.columns(samples)) for node, samples in pairs
    )
    fields: dict[str, Any] = {
        "provider": Provider.AWS,
        "region": "us-east-1",
        "window_start": T0,
        "window_seconds": 60,
        "label_sets": builder.label_sets,
        "nodes": node_usage,
    }
    return UsageSampled.create(**_envelope({**fields, **overrides}))


# ----------------------------------------------------------------------------- flows
def make_endpoint(**overrides: Any) -> Endpoint:
    fields: dict[str, Any] = {
        "namespace": "default",
        "workload_kind": WorkloadKind.DEPLOYMENT,
        "workload": "app",
        "pod": "app-5d9c7b-x2x7q",
        "node": "node-a",
        "zone": "us-east-1a",
        "region": "us-east-1",
        "ip": "10.0.0.12",
    }
    return Endpoint.model_validate({**fields, **overrides})


def make_flow(**overrides: Any) -> Flow:
    fields: dict[str, Any] = {
        "src": make_endpoint(),
        "dst": make_endpoint(
            workload="db", pod="db-0", node="node-b", zone="us-east-1b", ip="10.0.1.7"
        ),
        "bytes_sent": 1_000_000,
    }
    return Flow.model_validate({**fields, **overrides})


def make_flows_observed(**overrides: Any) -> FlowsObserved:
    fields: dict[str, Any] = {
        "provider": Provider.AWS,
        "region": "us-east-1",
        "window_start": T0,
        "window_seconds": 60,
        "flows": (make_flow(),),
    }
    return FlowsObserved.create(**_envelope({**fields, **overrides}))


# ----------------------------------------------------------------------------- spend
def make_spend_updated(**overrides: Any) -> SpendUpdated:
    fields: dict[str, Any] = {
        "namespace": "default",
        "window_start": T0,
        "window_end": T0.replace(hour=13),
        "cost_nano_usd": 1_250_000_000,
        "cpu_cost_nano_usd": 1_000_000_000,
        "memory_cost_nano_usd": 250_000_000,
    }
    return SpendUpdated.create(**_envelope({**fields, **overrides}))


def make_anomaly_detected(**overrides: Any) -> AnomalyDetected:
    fields: dict[str, Any] = {
        "anomaly_id": "anomaly-1",
        "namespace": "default",
        "window_start": T0,
        "window_end": T0.replace(hour=13),
        "expected_nano_usd": 1_000_000_000,
        "actual_nano_usd": 5_000_000_000,
        "score": 6.5,
        "severity": Severity.WARNING,
    }
    return AnomalyDetected.create(**_envelope({**fields, **overrides}))


# ----------------------------------------------------------------------------- recommendations
def make_target(**overrides: Any) -> Target:
    fields: dict[str, Any] = {
        "namespace": "default",
        "workload_kind": WorkloadKind.DEPLOYMENT,
        "workload": "app",
        "container": "app",
    }
    return Target.model_validate({**fields, **overrides})


def _recommendation_fields(overrides: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "recommendation_id": "rec-1",
        "kind": RecommendationKind.RIGHTSIZING,
        "state": RecommendationState.OPEN,
        "target": make_target(),
        "summary": "Lower app CPU request from 250m to 150m",
        "monthly_savings_nano_usd": 3_000_000_000,
        "confidence": 0.8,
    }
    return _envelope({**fields, **overrides})


def make_recommendation_created(**overrides: Any) -> RecommendationCreated:
    return RecommendationCreated.create(**_recommendation_fields(overrides))


def make_recommendation_updated(**overrides: Any) -> RecommendationUpdated:
    fields = {"state": RecommendationState.APPROVED, "previous_state": RecommendationState.OPEN}
    return RecommendationUpdated.create(**_recommendation_fields({**fields, **overrides}))


# ----------------------------------------------------------------------------- budgets
def make_budget_threshold_crossed(**overrides: Any) -> BudgetThresholdCrossed:
    fields: dict[str, Any] = {
        "budget_id": "budget-1",
        "budget_name": "team-a monthly",
        "scope": "namespace=team-a",
        "period_start": T0.replace(day=1, hour=0),
        "period_end": T0.replace(month=2, day=1, hour=0),
        "threshold_pct": 80,
        "basis": "actual",
        "amount_nano_usd": 100_000_000_000,
        "spend_to_date_nano_usd": 81_000_000_000,
        "forecast_nano_usd": 120_000_000_000,
    }
    return BudgetThresholdCrossed.create(**_envelope({**fields, **overrides}))


# ----------------------------------------------------------------------------- dead letters
def make_dead_letter(**overrides: Any) -> DeadLetter:
    fields: dict[str, Any] = {
        "service": "costing",
        "reason": "invalid UsageSampled: nodes: Field required",
        "original_subject": f"kubeopt.v1.usage.sampled.{CLUSTER}",
        "payload": "{}",
        "failed_at": T0,
    }
    return DeadLetter.model_validate({**fields, **overrides})
