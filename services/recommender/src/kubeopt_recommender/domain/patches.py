"""kubectl-ready strategic-merge patches for recommendations (pure).

A patch is the part of the workload object to change, e.g. for a Deployment's container::

    spec: {template: {spec: {containers: [{name: app, resources: {requests: {...}}}]}}}

``containers`` merge by ``name`` under the strategic-merge rules, so a patch touches only the
named container; a ``null`` value deletes the key (how a CPU limit is removed). Apply with
``kubectl patch <kind> <name> -n <namespace> --type strategic --patch-file <file>``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from kubeopt_recommender.domain.rightsizing import Resources

MIB = 2**20
GIB = 2**30
Patch = dict[str, Any]
POD_TEMPLATE_PATH = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
SPOT_SELECTORS: dict[str, tuple[dict[str, str], list[dict[str, str]]]] = {
    "aws": ({"karpenter.sh/capacity-type": "spot"}, []),
    "gcp": (
        {"cloud.google.com/gke-spot": "true"},
        [{"key": "cloud.google.com/gke-spot", "operator": "Equal", "value": "true",
          "effect": "NoSchedule"}],
    ),
    "azure": (
        {"kubernetes.azure.com/scalesetpriority": "spot"},
        [{"key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot",
          "effect": "NoSchedule"}],
    ),
}  # fmt: skip


class UnpatchableError(ValueError):
    """The workload kind has no pod template to patch (e.g. a bare Pod)."""


def format_cpu(millicores: int) -> str:
    """``1500`` → ``"1500m"``, ``2000`` → ``"2"``."""
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def format_memory(value: int) -> str:
    """Bytes as ``Gi`` when whole, else ``Mi`` rounded up."""
    if value % GIB == 0:
        return f"{value // GIB}Gi"
    return f"{math.ceil(value / MIB)}Mi"


def _nest(path: Iterable[str], leaf: Any) -> Patch:
    out: Any = leaf
    for key in reversed(tuple(path)):
        out = {key: out}
    result: Patch = out
    return result


def _template_path(kind: str) -> tuple[str, ...]:
    path = POD_TEMPLATE_PATH.get(kind)
    if path is None:
        msg = f"a {kind} has no pod template to patch; change its manifest instead"
        raise UnpatchableError(msg)
    return path


def resources_patch(kind: str, container: str, resources: Resources) -> Patch:
    """Requests and limits of one container; a limit of ``None`` is deleted."""
    limits: dict[str, str | None] = {
        "cpu": format_cpu(resources.cpu_limit_millicores)
        if resources.cpu_limit_millicores is not None
        else None,
        "memory": format_memory(resources.memory_limit_bytes)
        if resources.memory_limit_bytes is not None
        else None,
    }
    body = {
        "name": container,
        "resources": {
            "requests": {
                "cpu": format_cpu(resources.cpu_request_millicores),
                "memory": format_memory(resources.memory_request_bytes),
            },
            "limits": limits,
        },
    }
    return _nest((*_template_path(kind), "containers"), [body])


def schedule_patch(schedule: str) -> Patch:
    return {"spec": {"schedule": schedule}}


def spot_patch(kind: str, provider: str) -> Patch:
    """A node selector (and toleration where the provider taints spot nodes) for spot capacity.

    Tolerations have no merge key: the list in the patch replaces the workload's list."""
    selector, tolerations = SPOT_SELECTORS.get(provider, ({"kubeopt.io/capacity-type": "spot"}, []))
    spec: dict[str, Any] = {"nodeSelector": dict(selector)}
    if tolerations:
        spec["tolerations"] = [dict(t) for t in tolerations]
    return _nest(_template_path(kind), spec)


def merge(patches: Iterable[Patch]) -> Patch:
    """One patch for several changes to the same workload (containers merged by name)."""
    out: Patch = {}
    for patch in patches:
        out = _merge(out, patch)
    return out


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        merged = dict(a)
        for key, value in b.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return merged
    if (
        isinstance(a, list)
        and isinstance(b, list)
        and all(isinstance(i, dict) and "name" in i for i in (*a, *b))
    ):
        by_name = {item["name"]: item for item in a}
        for item in b:
            by_name[item["name"]] = (
                _merge(by_name[item["name"]], item) if item["name"] in by_name else item
            )
        return list(by_name.values())
    return b


def kubectl_command(kind: str, name: str, namespace: str, patch_file: str) -> str:
    return (
        f"kubectl patch {kind.lower()} {name} -n {namespace} --type strategic "
        f"--patch-file {patch_file}"
    )


def recommendation_patch(
    kind: str, workload_kind: str, container: str, recommended: dict[str, Any]
) -> Patch | None:
    """The patch that applies a stored recommendation (``None``: nothing kubectl can patch,
    e.g. a region move, or a bare Pod)."""
    try:
        if kind == "rightsizing":
            resources = Resources(
                int(recommended["cpu_request_millicores"]),
                int(recommended["memory_request_bytes"]),
                recommended.get("cpu_limit_millicores"),
                recommended.get("memory_limit_bytes"),
            )
            return resources_patch(workload_kind, container, resources)
        if kind == "spot":
            return spot_patch(workload_kind, str(recommended.get("provider", "")))
        if kind == "carbon_shift":
            return schedule_patch(str(recommended["schedule"]))
    except UnpatchableError:
        return None
    return None
