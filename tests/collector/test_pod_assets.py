"""Pod assets of the real collector: claims and LoadBalancer shares joined from the inventory
onto a window's rows (Prometheus and metrics-server usage share this)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.kube_objects import ResourceKind
from kubeopt_collector.domain.kube_parse import Parser
from kubeopt_collector.domain.prom_usage import Results, UsageContext, assemble
from kubeopt_common.events import AssetKind, Provider, UsageSampled
from tests.collector import kube_fixtures as k

GIB = 2**30
STEP = 300
T0 = 1_795_000_200  # a window start (a multiple of STEP)


def claim(name: str) -> dict[str, Any]:
    return {"name": name, "persistentVolumeClaim": {"claimName": name}}


def inventory() -> ClusterInventory:
    """shop: web-a (node-b), web-b (node-a), web-c and web-d share claim 'shared' and LoadBalancer
    'edge'; db-0 has its own claim; api-1 mounts a claim nobody has seen."""
    parser, found = Parser(), ClusterInventory()
    lb = "LoadBalancer"
    objects: list[tuple[ResourceKind, dict[str, Any]]] = [
        (ResourceKind.NODE, k.node("node-a", ip="10.0.1.10")),
        (ResourceKind.NODE, k.node("node-b", ip="10.0.1.11")),
        (ResourceKind.PVC, k.pvc("shared", size="5Gi", storage_class="efs-sc")),
        (ResourceKind.PVC, k.pvc("data-db-0", size="10Gi", capacity="12Gi")),
        (ResourceKind.SERVICE, k.service("edge", selector={"app": "web"}, service_type=lb)),
        (ResourceKind.SERVICE, k.service("dangling", selector=None, service_type=lb)),
        (ResourceKind.SERVICE, k.service("web", selector={"app": "web"})),
        # Same name and selector in another namespace: selects none of shop's pods.
        (
            ResourceKind.SERVICE,
            k.service("edge", "batch", selector={"app": "web"}, service_type=lb),
        ),
    ]
    web = {"app": "web"}
    two = [k.container("app"), k.container("proxy", cpu="50m")]
    pods = [
        k.pod("web-a", node_name="node-b", labels=web, containers=two, volumes=[claim("shared")]),
        k.pod("web-b", node_name="node-a", labels=web, containers=two, volumes=[claim("shared")]),
        k.pod("web-c", node_name="node-b", labels=web, volumes=[claim("shared")]),  # no usage
        k.pod("web-d", node_name="node-x", labels=web, volumes=[claim("shared")]),  # no facts
        k.pod("db-0", node_name="node-a", labels={"app": "db"}, volumes=[claim("data-db-0")]),
        k.pod("api-1", node_name="node-a", labels={"app": "api"}, volumes=[claim("missing")]),
        k.pod("tmp", node_name="node-b", volumes=[{"name": "t", "emptyDir": {}}]),
    ]
    objects += [(ResourceKind.POD, pod) for pod in pods]
    for kind, obj in objects:
        found.upsert(kind, parser.parse(kind, obj))
    return found


def results() -> Results:
    """One window of usage: every pod of the inventory but web-c, and a pod it does not know."""
    out = Results(STEP)
    window = out.windows[T0]
    rows = {
        ("web-a", "node-b"): ("app", "proxy"),
        ("web-b", "node-a"): ("proxy", "app"),
        ("web-d", "node-x"): ("app",),
        ("db-0", "node-a"): ("app",),
        ("api-1", "node-a"): ("app",),
        ("tmp", "node-b"): ("app",),
        ("ghost", "node-b"): ("app",),
    }
    for (pod, node), containers in rows.items():
        window.pod_node[("shop", pod)] = node
        for container in containers:
            window.containers[("shop", pod, container)] = {"cpu": 0.1, "memory": 1e6}
    return out


@dataclass(frozen=True)
class Seen:
    node: str
    pod: str
    container: str
    kind: AssetKind
    name: str
    storage_class: str
    size_bytes: int
    sharers: int
    rank: int


def seen(events: list[UsageSampled]) -> set[Seen]:
    out = set()
    for event in events:
        for node in event.nodes:
            c = node.containers
            for a in node.assets:
                assert a.container == c.pod.index(c.pod[a.container])  # the pod's first row
                out.add(
                    Seen(
                        node.node.name,
                        c.pod[a.container],
                        c.container[a.container],
                        a.kind,
                        a.name,
                        a.storage_class,
                        a.size_bytes,
                        a.sharers,
                        a.rank,
                    )
                )
    return out


def assembled(*, max_samples: int) -> list[UsageSampled]:
    context = UsageContext(
        "prod", "collector", Provider.AWS, "us-east-1", "prometheus", max_samples
    )
    assembly = assemble(results(), T0, context=context, inventory=inventory())
    assert ("shop/web-d/app", "unknown_node") in assembly.skipped
    return assembly.events


def test_prometheus_windows_carry_claims_and_load_balancer_shares() -> None:
    events = assembled(max_samples=1)
    assert len(events) == 2  # one node a message: the shares are counted across messages
    pv, lb = AssetKind.PERSISTENT_VOLUME, AssetKind.LOAD_BALANCER
    assert seen(events) == {
        # Shared by the two web pods of the window (web-c did not run, web-d has no node facts),
        # ranked by pod name (not by node).
        Seen("node-b", "web-a", "app", pv, "shared", "efs-sc", 5 * GIB, 2, 0),
        Seen("node-a", "web-b", "app", pv, "shared", "efs-sc", 5 * GIB, 2, 1),
        Seen("node-b", "web-a", "app", lb, "edge", "", 0, 2, 0),
        Seen("node-a", "web-b", "app", lb, "edge", "", 0, 2, 1),
        # The claim's requested size, not its provisioned capacity.
        Seen("node-a", "db-0", "app", pv, "data-db-0", "gp3", 10 * GIB, 1, 0),
    }


def test_the_message_split_does_not_change_the_assets() -> None:
    assert seen(assembled(max_samples=1000)) == seen(assembled(max_samples=1))


def test_assets_are_ordered_by_row_within_a_node() -> None:
    [event] = assembled(max_samples=1000)
    node_a = next(n for n in event.nodes if n.node.name == "node-a")
    keys = [(a.container, a.kind.value, a.name) for a in node_a.assets]
    assert keys == sorted(keys)
    assert [a.kind for a in node_a.assets] == [AssetKind.PERSISTENT_VOLUME, AssetKind.LOAD_BALANCER,
                                               AssetKind.PERSISTENT_VOLUME]  # fmt: skip


def test_without_an_inventory_there_are_no_assets() -> None:
    context = UsageContext("prod", "collector", Provider.AWS, "us-east-1")
    window = results().windows[T0]
    for node in ("node-a", "node-b", "node-x"):
        window.node_capacity[node] = {"cpu": 4.0, "memory": 16.0 * GIB}
    out = Results(STEP)
    out.windows[T0] = window
    events = assemble(out, T0, context=context, inventory=None).events
    assert sum(e.sample_count for e in events) == 9
    assert all(node.assets == () for e in events for node in e.nodes)
