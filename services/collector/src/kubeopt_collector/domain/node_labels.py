"""What a node's well-known labels say about it: instance type, zone, region, capacity type,
architecture and node pool, across Karpenter, EKS, GKE and AKS.

Labels are checked in order; the first one present wins. The capacity type is spot when any
provider's spot or preemptible label says so (Karpenter ``karpenter.sh/capacity-type=spot``,
EKS managed node groups ``eks.amazonaws.com/capacityType=SPOT``, GKE ``cloud.google.com/
gke-spot=true`` or ``cloud.google.com/gke-preemptible=true``, AKS
``kubernetes.azure.com/scalesetpriority=spot``).
"""

from __future__ import annotations

from collections.abc import Mapping

from kubeopt_common.events import CapacityType

INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
ARCH_LABELS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")
NODE_POOL_LABELS = (
    "karpenter.sh/nodepool",
    "karpenter.sh/provisioner-name",
    "eks.amazonaws.com/nodegroup",
    "alpha.eksctl.io/nodegroup-name",
    "cloud.google.com/gke-nodepool",
    "kubernetes.azure.com/agentpool",
    "agentpool",
)
# (label, value that means spot), values compared case-insensitively.
SPOT_LABELS = (
    ("karpenter.sh/capacity-type", "spot"),
    ("eks.amazonaws.com/capacityType", "spot"),
    ("cloud.google.com/gke-spot", "true"),
    ("cloud.google.com/gke-preemptible", "true"),
    ("kubernetes.azure.com/scalesetpriority", "spot"),
)
UNKNOWN_INSTANCE_TYPE = "unknown"
"""Instance type of a node that carries no instance-type label (bare metal, kind, …)."""


def first_label(labels: Mapping[str, str], keys: tuple[str, ...], default: str = "") -> str:
    for key in keys:
        value = labels.get(key)
        if value:
            return value
    return default


def capacity_type(labels: Mapping[str, str]) -> CapacityType:
    """Spot when any provider's spot/preemptible label says so, else on-demand."""
    for key, spot_value in SPOT_LABELS:
        if labels.get(key, "").lower() == spot_value:
            return CapacityType.SPOT
    return CapacityType.ON_DEMAND


def instance_type(labels: Mapping[str, str]) -> str:
    return first_label(labels, INSTANCE_TYPE_LABELS, UNKNOWN_INSTANCE_TYPE)


def zone(labels: Mapping[str, str]) -> str:
    return first_label(labels, ZONE_LABELS)


def region(labels: Mapping[str, str]) -> str:
    return first_label(labels, REGION_LABELS)


def node_pool(labels: Mapping[str, str]) -> str:
    return first_label(labels, NODE_POOL_LABELS)


def architecture(labels: Mapping[str, str], reported: str = "") -> str:
    """The node's CPU architecture: the label, else what the kubelet reported."""
    return first_label(labels, ARCH_LABELS, reported)
