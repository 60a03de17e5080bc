"""A generated fleet for scale runs: ``nodes`` nodes and ``pods`` pods (30 per Deployment),
served by :class:`FakeApiServer` without holding the objects (each page is made on demand).

``python -m tests.collector.kube_fleet --nodes 5000 --pods 150000`` serves it on a free port,
prints the URL on its first line and runs until its standard input closes (the benchmark
runs it as a separate process, so the server's memory is not the collector's).
"""

from __future__ import annotations

import argparse
import sys

from tests.collector import kube_fixtures as k
from tests.collector.fake_apiserver import FakeApiServer, Obj

PODS_PER_DEPLOYMENT = 30
NAMESPACES = 100
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def _namespace(index: int) -> str:
    return f"team-{index % NAMESPACES:03d}"


def make_node(index: int) -> Obj:
    labels = {"karpenter.sh/capacity-type": "spot"} if index % 4 == 0 else {}
    return k.node(
        f"node-{index:05d}",
        instance_type="m5.4xlarge",
        zone=ZONES[index % len(ZONES)],
        cpu="16",
        memory="64Gi",
        ip=f"10.{index // 65536}.{(index // 256) % 256}.{index % 256}",
        extra_labels=labels,
    )


def make_deployment(index: int) -> Obj:
    return k.deployment(f"svc-{index:05d}", _namespace(index), replicas=PODS_PER_DEPLOYMENT)


def make_replicaset(index: int) -> Obj:
    return k.replicaset(f"svc-{index:05d}-5f7d8", f"svc-{index:05d}", _namespace(index))


def make_pod(index: int, nodes: int) -> Obj:
    deployment = index // PODS_PER_DEPLOYMENT
    name = f"svc-{deployment:05d}"
    return k.pod(
        f"{name}-5f7d8-{index % PODS_PER_DEPLOYMENT:02d}x{index:06d}",
        _namespace(deployment),
        node_name=f"node-{index % nodes:05d}",
        owner=("apps/v1", "ReplicaSet", f"{name}-5f7d8"),
        labels={"app": name, "pod-template-hash": "5f7d8", "team": _namespace(deployment)},
        containers=[
            k.container("app", cpu="500m", memory="1Gi"),
            k.container("sidecar", cpu="50m", memory="64Mi", memory_limit="128Mi"),
        ],
        ip=f"100.{64 + index // 65536}.{(index // 256) % 256}.{index % 256}",
    )


def serve_fleet(*, nodes: int, pods: int) -> FakeApiServer:
    server = FakeApiServer().start()
    deployments = -(-pods // PODS_PER_DEPLOYMENT)
    for index in range(NAMESPACES):
        server.add("namespaces", k.namespace(_namespace(index)))
    server.generate("nodes", nodes, make_node)
    server.generate("deployments", deployments, make_deployment)
    server.generate("replicasets", deployments, make_replicaset)
    server.generate("pods", pods, lambda i: make_pod(i, nodes))
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=150_000)
    args = parser.parse_args()
    server = serve_fleet(nodes=args.nodes, pods=args.pods)
    sys.stdout.write(server.url + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes it
    server.stop()


if __name__ == "__main__":
    main()
