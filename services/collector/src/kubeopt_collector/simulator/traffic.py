"""Network flows between real pods, resolved from the scenario's workload-level ``flows``.

A flow of ``bytes_per_second`` from workload A to workload B sends, per window,
``bytes_per_second * interval`` (+-10 % deterministic noise) split evenly over pairs of
running pods — each sending pod talks to every receiving pod, or to a rotating subset of
at most :data:`MAX_PEERS_PER_FLOW` pairs in total — as a Service load-balancing across its
endpoints would. Endpoints carry the pod's real node, zone and region (never a Service IP),
so costing can classify in-zone / cross-zone / cross-region traffic. Internet traffic goes to
an external endpoint (an address in TEST-NET-3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubeopt_collector.simulator.activity import WindowActivity
from kubeopt_collector.simulator.events import ClusterEvents
from kubeopt_collector.simulator.fleet import Fleet, stable_hash
from kubeopt_collector.simulator.scenario import Scenario
from kubeopt_collector.simulator.templating import INTERNET
from kubeopt_common.events import Endpoint, Flow

MAX_PEERS_PER_FLOW = 256


@dataclass(frozen=True, slots=True)
class Route:
    """A scenario flow resolved to workload indices."""

    index: int
    cluster: str
    workload: int
    bytes_per_second: int
    via_nat_gateway: bool
    target_cluster: str | None
    """None for internet traffic."""
    target_workload: int


def build_routes(scenario: Scenario, fleet: Fleet) -> dict[str, tuple[Route, ...]]:
    """Every cluster's flows with their endpoints resolved to workloads of the fleet."""
    index_of = {
        c.name: {w.instance.key: i for i, w in enumerate(c.workloads)} for c in fleet.clusters
    }
    routes: dict[str, tuple[Route, ...]] = {}
    for cluster in scenario.clusters:
        resolved = []
        for i, flow in enumerate(cluster.flows):
            parts = flow.to.split("/")
            target_cluster = (
                None if flow.to == INTERNET else (parts[0] if len(parts) == 3 else cluster.name)
            )
            target = (
                -1 if target_cluster is None else index_of[target_cluster]["/".join(parts[-2:])]
            )
            resolved.append(
                Route(
                    index=i,
                    cluster=cluster.name,
                    workload=index_of[cluster.name][flow.source],
                    bytes_per_second=flow.bytes_per_second,
                    via_nat_gateway=flow.via_nat_gateway,
                    target_cluster=target_cluster,
                    target_workload=target,
                )
            )
        routes[cluster.name] = tuple(resolved)
    return routes


def pod_ip(cluster: str, pod: str) -> str:
    """A stable pod IP in 10.0.0.0/8."""
    h = stable_hash(cluster, pod)
    return f"10.{(h >> 16) & 255}.{(h >> 8) & 255}.{h & 255 or 1}"


def _endpoints(builder: ClusterEvents, activity: WindowActivity, workload: int) -> list[Endpoint]:
    fleet = builder.fleet
    w = fleet.workloads[workload]
    out = []
    for pod in w.pods:
        slot = fleet.pods[pod]
        if not activity.pod_active[pod] or slot.node is None:
            continue
        node = fleet.nodes[slot.node]
        name = builder.pod_name(pod, activity)
        out.append(
            Endpoint(
                namespace=w.contract.namespace,
                workload_kind=w.contract.kind,
                workload=w.contract.name,
                pod=name,
                node=node.name,
                zone=node.zone,
                region=fleet.region,
                ip=pod_ip(fleet.name, name),
            )
        )
    return out


def flows_for_window(
    routes: Sequence[Route],
    *,
    window_start_s: int,
    interval_s: int,
    builders: Mapping[str, ClusterEvents],
    activities: Mapping[str, WindowActivity],
) -> list[Flow]:
    """The pod-to-pod flows of one cluster's routes in one window."""
    flows: list[Flow] = []
    for route in routes:
        sources = _endpoints(builders[route.cluster], activities[route.cluster], route.workload)
        if route.target_cluster is None:
            octet = stable_hash(route.cluster, route.index) % 254 + 1
            targets = [Endpoint(external=True, ip=f"203.0.113.{octet}")]
        else:
            targets = _endpoints(
                builders[route.target_cluster],
                activities[route.target_cluster],
                route.target_workload,
            )
        pairs = _pairs(len(sources), len(targets))
        if not pairs:
            continue
        noise = stable_hash(route.cluster, route.index, window_start_s) % 2001 / 10_000 - 0.1
        total = round(route.bytes_per_second * interval_s * (1 + noise))
        share, extra = divmod(total, len(pairs))
        flows.extend(
            Flow(
                src=sources[s],
                dst=targets[t],
                bytes_sent=share + (1 if k < extra else 0),
                via_nat_gateway=route.via_nat_gateway,
            )
            for k, (s, t) in enumerate(pairs)
        )
    return flows


def _pairs(n_sources: int, n_targets: int) -> list[tuple[int, int]]:
    if n_sources == 0 or n_targets == 0:
        return []
    per_source = max(1, min(n_targets, MAX_PEERS_PER_FLOW // n_sources))
    return [(s, (s + k) % n_targets) for s in range(n_sources) for k in range(per_source)]
