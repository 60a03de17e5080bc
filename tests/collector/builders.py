"""Small scenario builders for collector tests: plain dicts with overrides, then validated."""

from __future__ import annotations

from typing import Any

from kubeopt_collector.simulator.scenario import Scenario


def container(
    name: str = "app",
    *,
    cpu: str = "250m",
    memory: str = "256Mi",
    limits: dict[str, Any] | None = None,
    profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "requests": {"cpu": cpu, "memory": memory}}
    if limits is not None:
        out["limits"] = limits
    out["profile"] = profile or {"type": "constant", "noise": 0, "jitter": 0, "burst": 0}
    return out


def workload(
    name: str = "api",
    *,
    namespace: str = "apps",
    kind: str = "Deployment",
    containers: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "namespace": namespace,
        "kind": kind,
        "name": name,
        "containers": containers or [container()],
        **extra,
    }


def pool(
    name: str = "general",
    *,
    instance_type: str = "m5.xlarge",
    zones: tuple[str, ...] = ("zone-a", "zone-b", "zone-c"),
    count: int = 3,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "instance_type": instance_type,
        "zones": list(zones),
        "count": count,
        **extra,
    }


def cluster(
    name: str = "c1",
    *,
    pools: list[dict[str, Any]] | None = None,
    namespaces: list[dict[str, Any]] | None = None,
    workloads: list[dict[str, Any]] | None = None,
    flows: list[dict[str, Any]] | None = None,
    provider: str = "aws",
    region: str = "us-east-1",
) -> dict[str, Any]:
    return {
        "name": name,
        "provider": provider,
        "region": region,
        "node_pools": pools or [pool()],
        "namespaces": namespaces if namespaces is not None else [{"name": "apps"}],
        "workloads": workloads if workloads is not None else [workload()],
        "flows": flows or [],
    }


def scenario(
    *clusters: dict[str, Any], seed: int = 7, interval_seconds: int = 60, **extra: Any
) -> Scenario:
    return Scenario.model_validate(
        {
            "seed": seed,
            "interval_seconds": interval_seconds,
            "clusters": list(clusters) or [cluster()],
            **extra,
        }
    )
