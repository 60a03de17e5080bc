"""A cluster's containers as the columns of ``usage.sampled``, gathered per window with numpy.

Every container slot placed on a node gets a fixed *position*: nodes in name order, then their
pods in fleet order, then the pod's containers. The columns that do not change between windows
(names, kinds, requests, limits, label-set ids) are arrays over positions, built once. A window
keeps the positions whose pod runs, gathers each column with one fancy index and turns it into
a Python list with one ``tolist()``; a node is then a slice of those lists. No per-container
Python object is ever built.

Pod assets (claims, LoadBalancer shares) ride along per node (:mod:`kubeopt_collector.simulator.
assets`). Sizes are JSON byte estimates that never undercount (see :meth:`FleetColumns.window`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import orjson

from kubeopt_collector.simulator.activity import WindowActivity
from kubeopt_collector.simulator.assets import FleetAssets, NodeAssets
from kubeopt_collector.simulator.fleet import ClusterFleet, name_suffix
from kubeopt_collector.simulator.profiles import UsageArrays
from kubeopt_common.events import NO_LIMIT, ContainerColumns

IntArray: TypeAlias = npt.NDArray[np.int64]
ObjectArray: TypeAlias = npt.NDArray[np.object_]

STATIC_TEXT = ("namespace", "pod", "workload_kind", "workload", "container")
STATIC_INTS = (
    "cpu_request_millicores",
    "memory_request_bytes",
    "cpu_limit_millicores",
    "memory_limit_bytes",
    "gpu_request",
)
USAGE_INTS = (
    "cpu_usage_millicores",
    "cpu_peak_millicores",
    "memory_usage_bytes",
    "memory_peak_bytes",
    "cpu_throttled_ms",
    "oom_kills",
)
"""Columns taken from :class:`UsageArrays`; ``restarts`` repeats ``oom_kills`` (a kill restarts)."""

MAX_NAME_LENGTH = 253
"""Longest name the contract accepts (a Kubernetes object name)."""
# A CronJob/Job pod is renamed per run: "<slot>-<epoch minutes>-<suffix>" adds at most this.
_RUN_NAME_BYTES = 1 + 20 + 1 + 5
# Every column's key and brackets around one node's lists, the {"node":…} wrapper and "assets".
_NODE_FRAME_BYTES = len(
    orjson.dumps(
        {"node": {}, "containers": {c: [] for c in ContainerColumns.COLUMNS}, "assets": []}
    )
)


def _json_bytes(value: object) -> int:
    return len(orjson.dumps(value))


@dataclass(frozen=True)
class WindowColumns:
    """The running containers of one window, every column a list over them in position order.

    Node ``k`` (in name order) owns entries ``bounds[k]:bounds[k + 1]``. ``label_ids`` are
    cluster-wide label-set ids (see :attr:`FleetColumns.label_sets`), not yet per message.
    ``node_bytes[k]`` bounds node ``k``'s share of a message's JSON from above, its assets
    included; ``assets[k]`` are node ``k``'s assets, their ``container`` a row within the node.
    """

    columns: dict[str, list[Any]]
    label_ids: IntArray
    bounds: list[int]
    node_bytes: list[int]
    assets: list[NodeAssets]


class FleetColumns:
    """Static columns of one cluster's placed containers, in publishing position order."""

    def __init__(self, fleet: ClusterFleet) -> None:
        self.fleet = fleet
        nodes = fleet.nodes
        self.node_order: list[int] = sorted(range(len(nodes)), key=lambda i: nodes[i].name)
        pods_on: list[list[int]] = [[] for _ in nodes]
        for index, pod in enumerate(fleet.pods):
            if pod.node is not None:
                pods_on[pod.node].append(index)
        placed_pods = [p for n in self.node_order for p in pods_on[n]]
        containers = [c for p in placed_pods for c in fleet.pods[p].containers]
        self._container = np.array(containers, dtype=np.int64)
        self._pod = np.array([fleet.containers[c].pod for c in containers], dtype=np.int64)
        per_node = [sum(len(fleet.pods[p].containers) for p in pods_on[n]) for n in self.node_order]
        self._node_start = np.concatenate(([0], np.cumsum(per_node, dtype=np.int64)))
        self._positions: dict[int, list[int]] = {}
        for position, pod in enumerate(self._pod.tolist()):
            self._positions.setdefault(pod, []).append(position)
        self._text, self._ints = self._static_columns(containers)
        self._renamed = {p for w in fleet.workloads if w.is_batch for p in w.pods}
        self.label_sets, label_ids = self._intern_labels(containers)
        self._label_ids = np.array(label_ids, dtype=np.int64)
        self._static_bytes = self._container_bytes(containers)
        self._check_static_columns()
        self._run_names: dict[int, tuple[int, str]] = {}
        first = {pod: positions[0] for pod, positions in self._positions.items()}
        self.assets = FleetAssets(fleet, first, self._node_start)
        self._node_frame_bytes = [
            self._node_bytes(n, {label_ids[i] for i in self._positions_of(pods_on[n])}) + extra
            for n, extra in zip(self.node_order, self.assets.node_bytes, strict=True)
        ]

    def _positions_of(self, pods: Sequence[int]) -> list[int]:
        return [position for p in pods for position in self._positions[p]]

    def _static_columns(
        self, containers: Sequence[int]
    ) -> tuple[dict[str, ObjectArray], dict[str, IntArray]]:
        fleet = self.fleet
        text: dict[str, list[object]] = {name: [] for name in STATIC_TEXT}
        ints: dict[str, list[int]] = {name: [] for name in STATIC_INTS}
        for c in containers:
            slot = fleet.containers[c]
            pod = fleet.pods[slot.pod]
            workload = fleet.workloads[pod.workload].contract
            spec = slot.spec
            for name, value in zip(
                STATIC_TEXT,
                (workload.namespace, pod.name, workload.kind, workload.name, spec.name),
                strict=True,
            ):
                text[name].append(value)
            for name, number in zip(
                STATIC_INTS,
                (
                    spec.cpu_request_millicores,
                    spec.memory_request_bytes,
                    NO_LIMIT if spec.cpu_limit_millicores is None else spec.cpu_limit_millicores,
                    NO_LIMIT if spec.memory_limit_bytes is None else spec.memory_limit_bytes,
                    spec.gpu_request,
                ),
                strict=True,
            ):
                ints[name].append(number)
        return (
            {name: _object_array(values) for name, values in text.items()},
            {name: np.array(values, dtype=np.int64) for name, values in ints.items()},
        )

    def _check_static_columns(self) -> None:
        """Validate every static entry once through the contract (windows skip pydantic).

        Run names of CronJob/Job pods extend the slot name by at most ``_RUN_NAME_BYTES``, so
        the slot name must leave that much room below the contract's name length.
        """
        columns: dict[str, list[Any]] = {n: v.tolist() for n, v in self._text.items()}
        columns |= {n: v.tolist() for n, v in self._ints.items()}
        columns["label_set"] = self._label_ids.tolist()
        zeros = [0] * len(self._label_ids)
        columns |= dict.fromkeys((*USAGE_INTS, "restarts"), zeros)
        ContainerColumns.model_validate(columns)
        for pod in self._renamed:
            if len(self.fleet.pods[pod].name) + _RUN_NAME_BYTES > MAX_NAME_LENGTH:
                msg = f"pod name {self.fleet.pods[pod].name!r} is too long to name its runs"
                raise ValueError(msg)

    def _intern_labels(self, containers: Sequence[int]) -> tuple[list[dict[str, str]], list[int]]:
        """Distinct pod label sets of the cluster, and each position's index among them."""
        label_sets: list[dict[str, str]] = []
        index: dict[tuple[tuple[str, str], ...], int] = {}
        ids: list[int] = []
        for c in containers:
            pod = self.fleet.pods[self.fleet.containers[c].pod]
            labels = self.fleet.workloads[pod.workload].contract.labels
            key = tuple(sorted(labels.items()))
            if key not in index:
                index[key] = len(label_sets)
                label_sets.append(dict(key))
            ids.append(index[key])
        return label_sets, ids

    def _container_bytes(self, containers: Sequence[int]) -> IntArray:
        """Per position: JSON bytes (with a comma) of its static entries, run renames included."""
        label_digits = len(str(max(len(self.label_sets) - 1, 0))) + 1
        sizes = []
        for position, c in enumerate(containers):
            size = label_digits + sum(
                _json_bytes(self._text[name][position]) + 1 for name in STATIC_TEXT
            )
            size += sum(len(str(int(self._ints[name][position]))) + 1 for name in STATIC_INTS)
            if self.fleet.containers[c].pod in self._renamed:
                size += _RUN_NAME_BYTES
            sizes.append(size)
        return np.array(sizes, dtype=np.int64)

    def _node_bytes(self, node: int, label_ids: set[int]) -> int:
        """A node's JSON and column frame, plus every label set its pods may bring along."""
        node_json = len(self.fleet.nodes[node].model_dump_json())
        labels = sum(_json_bytes(self.label_sets[i]) + 1 for i in label_ids)
        return _NODE_FRAME_BYTES + node_json + 1 + labels

    def window(self, activity: WindowActivity, usage: UsageArrays) -> WindowColumns:
        """The columns of the containers whose pod runs in the window, in position order.

        Size estimates: static entries are measured once per position; each usage entry is
        charged the width of the largest value of its column in this window (plus a comma);
        a node's assets are charged once, as if every pod that may hold one ran.
        """
        running = activity.pod_active[self._pod]
        positions = np.flatnonzero(running)
        columns: dict[str, list[Any]] = {
            name: values[positions].tolist() for name, values in self._text.items()
        }
        columns |= {name: values[positions].tolist() for name, values in self._ints.items()}
        usage_width = _gather_usage(usage, self._container[positions], columns)
        row_of = np.cumsum(running, dtype=np.int64) - 1
        if activity.run_start_s:
            self._rename_runs(columns["pod"], row_of, activity)
        bounds = np.concatenate(([0], row_of + 1))[self._node_start]
        static = np.concatenate(([0], np.cumsum(self._static_bytes[positions], dtype=np.int64)))
        node_bytes = (
            np.array(self._node_frame_bytes, dtype=np.int64)
            + np.diff(static[bounds])
            + np.diff(bounds) * usage_width
        )
        return WindowColumns(
            columns=columns,
            label_ids=self._label_ids[positions],
            bounds=bounds.tolist(),
            node_bytes=node_bytes.tolist(),
            assets=self.assets.window(activity.pod_active, row_of, bounds),
        )

    def _rename_runs(self, pods: list[Any], rank: IntArray, activity: WindowActivity) -> None:
        """CronJob/Job pods are named after their run: patch those entries in place."""
        for pod, began in activity.run_start_s.items():
            cached = self._run_names.get(pod)
            if cached is None or cached[0] != began:
                # A run spans many windows: name it once (a hash), keep its latest run only.
                cached = self._run_names[pod] = (began, run_pod_name(self.fleet, pod, began))
            for position in self._positions.get(pod, ()):
                pods[int(rank[position])] = cached[1]


def _gather_usage(usage: UsageArrays, containers: IntArray, columns: dict[str, list[Any]]) -> int:
    """Add the usage columns of ``containers`` to ``columns``; return the JSON bytes a usage row
    takes at most in this window (each column as wide as its largest value, plus commas)."""
    width = 0
    for name in USAGE_INTS:
        values = getattr(usage, name)[containers]
        if len(values) and values.min() < 0:
            msg = f"{name} of the window has a negative value {values.min()}"
            raise ValueError(msg)
        columns[name] = values.tolist()
        width += len(str(int(values.max()) if len(values) else 0)) + 1
    columns["restarts"] = columns["oom_kills"]
    return width + len(str(max(columns["restarts"], default=0))) + 1


def run_pod_name(fleet: ClusterFleet, pod: int, began_s: int) -> str:
    """Name of a CronJob/Job pod in the run that began at ``began_s`` (epoch seconds)."""
    slot = fleet.pods[pod]
    return f"{slot.name}-{began_s // 60}-{name_suffix(slot.name, slot.ordinal, began_s)}"


def pod_name(fleet: ClusterFleet, pod: int, run_start_s: Mapping[int, int]) -> str:
    """The pod's name in a window: its slot name, or its run's name for CronJob/Job pods."""
    began = run_start_s.get(pod)
    return fleet.pods[pod].name if began is None else run_pod_name(fleet, pod, began)


def _object_array(values: Sequence[object]) -> ObjectArray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
