"""A fake API server filled with a small, realistic cluster, and a recording publisher."""

from __future__ import annotations

from collections.abc import Sequence

from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_common.events import InventorySnapshotted
from tests.collector import kube_fixtures as k
from tests.collector.fake_apiserver import FakeApiServer


class RecordingPublisher:
    """Keeps what would have been published."""

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []

    async def __call__(self, messages: Sequence[OutgoingMessage]) -> None:
        self.messages.extend(messages)

    def inventory(self) -> list[InventorySnapshotted]:
        return [
            InventorySnapshotted.model_validate_json(m.payload)
            for m in self.messages
            if ".inventory." in m.subject
        ]


def populate(server: FakeApiServer) -> None:
    """Two nodes (one spot), a Deployment with an HPA, a PDB and a LoadBalancer Service, a
    CronJob's job, a StatefulSet with a volume and a ClusterIP Service, a DaemonSet pod on host
    network and a bare pod."""
    server.add("namespaces", k.namespace("shop", {"team": "web"}))
    server.add("namespaces", k.namespace("batch"))
    server.add("namespaces", k.namespace("kube-system"))
    server.add("nodes", k.node("node-a", ip="10.0.1.10"))
    server.add(
        "nodes",
        k.node(
            "node-b",
            instance_type="m6g.large",
            zone="us-east-1b",
            arch="arm64",
            cpu="2",
            memory="8Gi",
            ip="10.0.1.11",
            extra_labels={"karpenter.sh/capacity-type": "spot", "karpenter.sh/nodepool": "burst"},
        ),
    )
    server.add("deployments", k.deployment("web", replicas=3, node_pool="burst"))
    server.add("replicasets", k.replicaset("web-7d9f8", "web"))
    server.add("horizontalpodautoscalers", k.hpa("web", "web"))
    server.add("poddisruptionbudgets", k.pdb("web", "web"))
    server.add("statefulsets", k.statefulset("db"))
    server.add("persistentvolumeclaims", k.pvc("data-db-0"))
    server.add("services", k.service("web", selector={"app": "web"}, service_type="LoadBalancer"))
    server.add("services", k.service("db", selector={"app": "db"}))
    server.add("daemonsets", k.daemonset("agent"))
    server.add("cronjobs", k.cronjob("nightly"))
    server.add("jobs", k.job("nightly-29000000", cronjob_name="nightly"))
    web_labels = {"app": "web", "pod-template-hash": "7d9f8"}
    for index, node in enumerate(("node-a", "node-b")):
        server.add(
            "pods",
            k.pod(
                f"web-7d9f8-{index}",
                node_name=node,
                owner=("apps/v1", "ReplicaSet", "web-7d9f8"),
                labels=web_labels,
                ip=f"10.1.0.{10 + index}",
                containers=[k.container("app"), k.container("proxy", cpu="50m", memory="64Mi")],
            ),
        )
    server.add(
        "pods",
        k.pod(
            "db-0",
            owner=("apps/v1", "StatefulSet", "db"),
            labels={"app": "db"},
            ip="10.1.0.20",
            volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}],
        ),
    )
    server.add(
        "pods",
        k.pod(
            "agent-x1",
            "kube-system",
            owner=("apps/v1", "DaemonSet", "agent"),
            ip="10.0.1.10",
            host_network=True,
        ),
    )
    server.add(
        "pods",
        k.pod(
            "nightly-29000000-abcde",
            "batch",
            node_name="node-b",
            owner=("batch/v1", "Job", "nightly-29000000"),
            ip="10.1.0.30",
        ),
    )
    server.add("pods", k.pod("debug", ip="10.1.0.40"))
