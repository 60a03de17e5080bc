"""Templating: how a short scenario file describes a large fleet.

* A namespace entry with ``count: N`` makes N namespaces ``<name>-0`` … ``<name>-<N-1>``.
* A workload names the namespace *entry* it belongs to; when that entry has a ``count``, the
  workload is created in every namespace the entry makes.
* A workload entry with ``count: N`` makes N workloads ``<name>-0`` … ``<name>-<N-1>`` in each of
  those namespaces.
* Label values may use ``{namespace}``, ``{workload}`` and ``{i}`` (the copy index; 0 when the
  entry has no ``count``), replaced by the generated names.

Expansion is deterministic: the order of the file, then copy index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubeopt_collector.simulator.specs import (
    FieldError,
    FlowDef,
    NamespaceDef,
    NodePoolDef,
    WorkloadDef,
)

INTERNET = "internet"


@dataclass(frozen=True, slots=True)
class NamespaceInstance:
    name: str
    labels: dict[str, str]
    entry: int
    """Index of the ``namespaces`` entry that made it."""


@dataclass(frozen=True, slots=True)
class WorkloadInstance:
    namespace: str
    name: str
    labels: dict[str, str]
    spec: WorkloadDef
    entry: int
    """Index of the ``workloads`` entry that made it."""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ExpandedCluster:
    namespaces: tuple[NamespaceInstance, ...]
    workloads: tuple[WorkloadInstance, ...]


def _fill(labels: Mapping[str, str], *, namespace: str, workload: str, i: int) -> dict[str, str]:
    def fill(text: str) -> str:
        return (
            text.replace("{namespace}", namespace)
            .replace("{workload}", workload)
            .replace("{i}", str(i))
        )

    return {fill(key): fill(value) for key, value in labels.items()}


def _names(base: str, count: int | None) -> list[str]:
    return [base] if count is None else [f"{base}-{i}" for i in range(count)]


def expand_namespaces(defs: Sequence[NamespaceDef]) -> tuple[NamespaceInstance, ...]:
    """Every namespace the entries make; raises FieldError on a duplicate name."""
    made: dict[str, int] = {}
    out: list[NamespaceInstance] = []
    for entry, ns in enumerate(defs):
        for i, name in enumerate(_names(ns.name, ns.count)):
            if name in made:
                msg = f"duplicate namespace {name!r} (also made by namespaces[{made[name]}])"
                raise FieldError(("namespaces", entry, "name"), msg)
            made[name] = entry
            labels = _fill(ns.labels, namespace=name, workload="", i=i)
            out.append(NamespaceInstance(name, labels, entry))
    return tuple(out)


def expand_workloads(
    defs: Sequence[WorkloadDef],
    *,
    namespaces: Sequence[NamespaceDef],
    pools: Sequence[NodePoolDef],
) -> tuple[WorkloadInstance, ...]:
    """Every workload the entries make; raises FieldError on a bad reference or duplicate."""
    groups = {ns.name: _names(ns.name, ns.count) for ns in namespaces}
    pool_names = {pool.name for pool in pools}
    made: dict[str, int] = {}
    out: list[WorkloadInstance] = []
    for entry, wl in enumerate(defs):
        if wl.namespace not in groups:
            known = ", ".join(sorted(groups)) or "none declared"
            msg = f"namespace {wl.namespace!r} is not declared in namespaces (known: {known})"
            raise FieldError(("workloads", entry, "namespace"), msg)
        if wl.node_pool is not None and wl.node_pool not in pool_names:
            pools_text = ", ".join(sorted(pool_names))
            msg = f"node_pool {wl.node_pool!r} does not exist (pools: {pools_text})"
            raise FieldError(("workloads", entry, "node_pool"), msg)
        for namespace in groups[wl.namespace]:
            for i, name in enumerate(_names(wl.name, wl.count if wl.templated else None)):
                key = f"{namespace}/{name}"
                if key in made:
                    msg = f"duplicate workload {key!r} (also made by workloads[{made[key]}])"
                    raise FieldError(("workloads", entry, "name"), msg)
                made[key] = entry
                labels = _fill(wl.labels, namespace=namespace, workload=name, i=i)
                out.append(WorkloadInstance(namespace, name, labels, wl, entry))
    return tuple(out)


def check_local_flows(flows: Sequence[FlowDef], workloads: Sequence[WorkloadInstance]) -> None:
    """Flow endpoints inside this cluster must name existing workloads."""
    keys = {w.key for w in workloads}
    for index, flow in enumerate(flows):
        if flow.source not in keys:
            msg = f"flow source {flow.source!r} is not a workload of this cluster"
            raise FieldError(("flows", index, "from"), msg)
        parts = flow.to.split("/")
        if flow.to != INTERNET and len(parts) == 2 and flow.to not in keys:
            msg = f"flow target {flow.to!r} is not a workload of this cluster"
            raise FieldError(("flows", index, "to"), msg)
        if flow.to != INTERNET and len(parts) not in (2, 3):
            msg = (
                f"flow target {flow.to!r} must be 'internet', '<namespace>/<workload>' or "
                "'<cluster>/<namespace>/<workload>'"
            )
            raise FieldError(("flows", index, "to"), msg)
