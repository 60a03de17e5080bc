"""The event contracts between KubeOpt AI services (a public API: others subscribe to them)."""

from kubeopt_common.events.budget import BudgetThresholdCrossed
from kubeopt_common.events.deadletter import DeadLetter
from kubeopt_common.events.envelope import Contract, Event, event_id_for
from kubeopt_common.events.flows import Endpoint, Flow, FlowsObserved
from kubeopt_common.events.inventory import (
    CapacityType,
    ContainerSpec,
    Hpa,
    InventorySnapshotted,
    Namespace,
    Node,
    ObjectRef,
    Pdb,
    Pod,
    Provider,
    Volume,
    VolumeKind,
    Workload,
    WorkloadKind,
)
from kubeopt_common.events.recommendation import (
    RecommendationCreated,
    RecommendationKind,
    RecommendationState,
    RecommendationUpdated,
    Target,
)
from kubeopt_common.events.spend import AnomalyDetected, Severity, SpendUpdated
from kubeopt_common.events.subjects import Subject, dead_letter_subject, for_cluster
from kubeopt_common.events.usage import (
    NO_LIMIT,
    AssetKind,
    ContainerColumns,
    ContainerSample,
    NodeUsage,
    PodAsset,
    UsageBatchBuilder,
    UsageSampled,
    salvage_usage,
)

ALL_EVENTS: tuple[type[Event], ...] = (
    InventorySnapshotted,
    UsageSampled,
    FlowsObserved,
    SpendUpdated,
    AnomalyDetected,
    RecommendationCreated,
    RecommendationUpdated,
    BudgetThresholdCrossed,
)

__all__ = [
    "ALL_EVENTS",
    "NO_LIMIT",
    "AnomalyDetected",
    "AssetKind",
    "BudgetThresholdCrossed",
    "CapacityType",
    "ContainerColumns",
    "ContainerSample",
    "ContainerSpec",
    "Contract",
    "DeadLetter",
    "Endpoint",
    "Event",
    "Flow",
    "FlowsObserved",
    "Hpa",
    "InventorySnapshotted",
    "Namespace",
    "Node",
    "NodeUsage",
    "ObjectRef",
    "Pdb",
    "Pod",
    "PodAsset",
    "Provider",
    "RecommendationCreated",
    "RecommendationKind",
    "RecommendationState",
    "RecommendationUpdated",
    "Severity",
    "SpendUpdated",
    "Subject",
    "Target",
    "UsageBatchBuilder",
    "UsageSampled",
    "Volume",
    "VolumeKind",
    "Workload",
    "WorkloadKind",
    "dead_letter_subject",
    "event_id_for",
    "for_cluster",
    "salvage_usage",
]
