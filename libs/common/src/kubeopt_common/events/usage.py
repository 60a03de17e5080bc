"""``usage.sampled``: one scrape window of usage for a set of whole nodes, batched and columnar.

A message carries complete nodes: the node facts needed to price it, and every container that ran
on it in the window with its requests and measured usage. Costing can therefore attribute a whole
node (containers + idle) from one message, with no ordering dependency on inventory events, and a
redelivered message re-prices exactly the same rows.

The containers of a node are **column-oriented** (:class:`ContainerColumns`): index ``i`` of every
list describes one container. Telemetry is the hot path of the whole system; columns decode and
encode an order of magnitude faster than one object per container and are about half the size.
Pod labels are interned once per message in ``label_sets`` and referenced by index.

Costs that are not part of a node — a pod's persistent volume claims, its share of a
``LoadBalancer`` Service — ride along as :class:`PodAsset` entries on the node that runs the pod,
so the message still prices completely on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Self

import orjson
from pydantic import Field, ValidationError, model_validator

from kubeopt_common.events.envelope import (
    Contract,
    Event,
    Labels,
    Name,
    NonNegativeInt,
    UtcDatetime,
)
from kubeopt_common.events.inventory import Node, Provider, WorkloadKind
from kubeopt_common.events.subjects import Subject

NO_LIMIT = 0
"""Limit columns hold 0 when the container has no limit for that resource."""


class ContainerColumns(Contract):
    """The containers of one node in one window; every list has one entry per container.

    Requests and limits are those in force during the window. ``cpu_usage_millicores`` is the
    average over the window, ``cpu_peak_millicores`` the highest short-interval rate seen; memory
    is the working set (average and peak). Limits of :data:`NO_LIMIT` mean "no limit".
    """

    namespace: list[Name] = Field(default_factory=list)
    pod: list[Name] = Field(default_factory=list)
    workload_kind: list[WorkloadKind] = Field(default_factory=list)
    workload: list[Name] = Field(default_factory=list)
    container: list[Name] = Field(default_factory=list)
    label_set: list[NonNegativeInt] = Field(
        default_factory=list, description="Index into UsageSampled.label_sets (the pod's labels)"
    )
    cpu_request_millicores: list[NonNegativeInt] = Field(default_factory=list)
    memory_request_bytes: list[NonNegativeInt] = Field(default_factory=list)
    cpu_limit_millicores: list[NonNegativeInt] = Field(default_factory=list)
    memory_limit_bytes: list[NonNegativeInt] = Field(default_factory=list)
    gpu_request: list[NonNegativeInt] = Field(default_factory=list)
    cpu_usage_millicores: list[NonNegativeInt] = Field(default_factory=list)
    cpu_peak_millicores: list[NonNegativeInt] = Field(default_factory=list)
    memory_usage_bytes: list[NonNegativeInt] = Field(default_factory=list)
    memory_peak_bytes: list[NonNegativeInt] = Field(default_factory=list)
    cpu_throttled_ms: list[NonNegativeInt] = Field(default_factory=list)
    oom_kills: list[NonNegativeInt] = Field(default_factory=list)
    restarts: list[NonNegativeInt] = Field(default_factory=list)

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "namespace",
        "pod",
        "workload_kind",
        "workload",
        "container",
        "label_set",
        "cpu_request_millicores",
        "memory_request_bytes",
        "cpu_limit_millicores",
        "memory_limit_bytes",
        "gpu_request",
        "cpu_usage_millicores",
        "cpu_peak_millicores",
        "memory_usage_bytes",
        "memory_peak_bytes",
        "cpu_throttled_ms",
        "oom_kills",
        "restarts",
    )

    @model_validator(mode="after")
    def _columns_line_up(self) -> Self:
        expected = len(self.namespace)
        values = self.__dict__
        if any(len(values[name]) != expected for name in self.COLUMNS):
            wrong = ", ".join(
                f"{name}={len(values[name])}"
                for name in self.COLUMNS
                if len(values[name]) != expected
            )
            msg = f"every column must have {expected} entries (one per container); got {wrong}"
            raise ValueError(msg)
        return self

    def __len__(self) -> int:
        return len(self.namespace)


class AssetKind(StrEnum):
    PERSISTENT_VOLUME = "pv"
    LOAD_BALANCER = "lb"


class PodAsset(Contract):
    """A cost outside the node that one pod carries in the window.

    * ``pv``: a persistent volume claim the pod mounts, priced by ``size_bytes`` (the claim's
      requested size) at its ``storage_class``'s price.
    * ``lb``: a ``LoadBalancer`` Service selecting the pod, priced per hour.

    An asset shared by several pods (the Service's pods, a ReadWriteMany claim's mounters) is split
    evenly over its ``sharers``; the pod with ``rank`` 0 also takes the division's remainder, so
    the shares add up to the asset's cost exactly. Every sharer lists the asset with its rank.
    """

    container: NonNegativeInt = Field(
        description="Index in the node's columns of the row that carries the pod's share "
        "(producers use the pod's first container)"
    )
    kind: AssetKind
    name: Name = Field(description="Claim or Service name (in the pod's namespace)")
    storage_class: str = ""
    size_bytes: NonNegativeInt = 0
    sharers: int = Field(default=1, gt=0)
    rank: NonNegativeInt = 0

    @model_validator(mode="after")
    def _rank_within_sharers(self) -> Self:
        if self.rank >= self.sharers:
            msg = f"rank {self.rank} is not below sharers {self.sharers}"
            raise ValueError(msg)
        return self


class NodeUsage(Contract):
    node: Node
    containers: ContainerColumns = Field(default_factory=ContainerColumns)
    assets: tuple[PodAsset, ...] = ()

    @model_validator(mode="after")
    def _assets_point_at_containers(self) -> Self:
        count = len(self.containers)
        for asset in self.assets:
            if asset.container >= count:
                msg = (
                    f"{asset.kind.value} {asset.name!r} points at container {asset.container} "
                    f"but node {self.node.name} has {count}"
                )
                raise ValueError(msg)
        return self


class UsageSampled(Event):
    """Usage of whole nodes over ``[window_start, window_start + window_seconds)``."""

    SUBJECT: ClassVar[Subject] = Subject.USAGE_SAMPLED

    provider: Provider
    region: str
    window_start: UtcDatetime
    window_seconds: int = Field(gt=0, le=86_400)
    label_sets: list[Labels] = Field(
        default_factory=list, description="Distinct pod label sets, referenced by index"
    )
    nodes: tuple[NodeUsage, ...]

    @model_validator(mode="after")
    def _label_sets_exist(self) -> Self:
        count = len(self.label_sets)
        for node_usage in self.nodes:
            if node_usage.containers.label_set and max(node_usage.containers.label_set) >= count:
                msg = (
                    f"node {node_usage.node.name} references label set "
                    f"{max(node_usage.containers.label_set)} but only {count} are defined"
                )
                raise ValueError(msg)
        return self

    @property
    def sample_count(self) -> int:
        """Number of container samples in the batch."""
        return sum(len(n.containers) for n in self.nodes)


@dataclass(frozen=True, slots=True)
class ContainerSample:
    """One container's row, for producers that think in rows (see :class:`UsageBatchBuilder`)."""

    namespace: str
    pod: str
    workload_kind: WorkloadKind
    workload: str
    container: str
    cpu_usage_millicores: int
    memory_usage_bytes: int
    labels: Mapping[str, str] = field(default_factory=dict)
    cpu_request_millicores: int = 0
    memory_request_bytes: int = 0
    cpu_limit_millicores: int = NO_LIMIT
    memory_limit_bytes: int = NO_LIMIT
    gpu_request: int = 0
    cpu_peak_millicores: int = 0
    memory_peak_bytes: int = 0
    cpu_throttled_ms: int = 0
    oom_kills: int = 0
    restarts: int = 0


class UsageBatchBuilder:
    """Turns rows into the columnar form, interning label sets for one message."""

    def __init__(self) -> None:
        self.label_sets: list[dict[str, str]] = []
        self._label_index: dict[tuple[tuple[str, str], ...], int] = {}

    def _label_set(self, labels: Mapping[str, str]) -> int:
        key = tuple(sorted(labels.items()))
        index = self._label_index.get(key)
        if index is None:
            index = self._label_index[key] = len(self.label_sets)
            self.label_sets.append(dict(key))
        return index

    def columns(self, samples: Iterable[ContainerSample]) -> ContainerColumns:
        rows = list(samples)
        data: dict[str, list[Any]] = {
            name: [getattr(r, name) for r in rows]
            for name in ContainerColumns.COLUMNS
            if name != "label_set"
        }
        data["label_set"] = [self._label_set(r.labels) for r in rows]
        return ContainerColumns.model_validate(data)


_TEXT_COLUMNS = ("namespace", "pod", "workload", "container")
_KINDS = frozenset(k.value for k in WorkloadKind)


def _bad_value(column: str, value: Any, label_sets: int) -> str | None:
    """Why ``value`` cannot stand in ``column`` (None when it can)."""
    if column in _TEXT_COLUMNS:
        return None if isinstance(value, str) and value else "empty or not text"
    if column == "workload_kind":
        return None if value in _KINDS else f"unknown workload kind {value!r}"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{value!r} is not an integer"
    if value < 0:
        return f"{value} is negative"
    if column == "label_set" and value >= label_sets:
        return f"label set {value} does not exist"
    return None


def _salvage_node(node: Any, label_sets: int, rejected: list[str]) -> bool:
    """Drop the node's unusable containers in place; False when the node itself is broken."""
    if not isinstance(node, dict) or not isinstance(node.get("containers"), dict):
        return False
    columns = node["containers"]
    count = len(columns.get("namespace") or [])
    if any(
        not isinstance(columns.get(c), list) or len(columns[c]) != count
        for c in ContainerColumns.COLUMNS
    ):
        return False
    keep = []
    for i in range(count):
        problems = [
            f"{c}: {why}"
            for c in ContainerColumns.COLUMNS
            if (why := _bad_value(c, columns[c][i], label_sets)) is not None
        ]
        if problems:
            who = "/".join(str(columns[c][i]) for c in ("namespace", "pod", "container"))
            rejected.append(f"{node.get('node', {}).get('name', '?')}/{who}: {'; '.join(problems)}")
        else:
            keep.append(i)
    pods = list(zip(columns["namespace"], columns["pod"], strict=True))
    for c in ContainerColumns.COLUMNS:
        columns[c] = [columns[c][i] for i in keep]
    _reindex_assets(node, pods, keep)
    return True


def _reindex_assets(node: dict[str, Any], pods: list[tuple[Any, Any]], keep: list[int]) -> None:
    """Point the node's assets at the kept rows.

    An asset whose row was dropped moves to the pod's first kept container; it is dropped only
    with the pod's last container.
    """
    assets = node.get("assets")
    if not isinstance(assets, list):
        return
    moved = {old: new for new, old in enumerate(keep)}
    first_kept: dict[tuple[Any, Any], int] = {}
    for new, old in enumerate(keep):
        first_kept.setdefault(pods[old], new)
    kept = []
    for asset in assets:
        index = asset.get("container") if isinstance(asset, dict) else None
        if type(index) is not int or not 0 <= index < len(pods):
            continue
        new_index = moved.get(index, first_kept.get(pods[index]))
        if new_index is not None:
            kept.append({**asset, "container": new_index})
    node["assets"] = kept


def salvage_usage(data: bytes) -> tuple[UsageSampled, list[str]] | None:
    """The usable part of an invalid ``usage.sampled`` message, and what was rejected.

    Containers with a negative or non-integer measure, an empty name or an unknown kind are
    dropped (one reason each); everything else in the batch is kept. None when the message is
    not salvageable (not JSON, a broken envelope or node, or nothing was wrong with containers).
    """
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        return None
    label_sets = len(doc.get("label_sets") or [])
    rejected: list[str] = []
    if not all(_salvage_node(node, label_sets, rejected) for node in doc["nodes"]) or not rejected:
        return None
    try:
        return UsageSampled.model_validate(doc), rejected
    except ValidationError:
        return None
