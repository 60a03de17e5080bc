"""The pod assets of a window (``NodeUsage.assets``): persistent volume claims and shares of
``LoadBalancer`` Services, per node.

Every (pod slot, asset) pair the fleet can ever hold is an *entry*, fixed once: each ``pvc``
volume of a placed pod (``empty_dir``, ``host_path`` and ``local_pv`` live on the node and are
already in its price), and each ``LoadBalancer`` Service of the pod's workload. Entries are
grouped by asset — one claim (per pod for a StatefulSet, else one per workload shared by its
pods), one Service. In a window only running pods hold their entries; an asset is split over
the pods holding it (``sharers``), ranked in slot order. Sharers and ranks are computed for the
whole cluster before the window is cut into messages, so every sharer appears exactly once with
a distinct rank, whichever message carries it.

Per window this is a few numpy operations over the entries and one small dict per held entry:
pods without assets cost nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import orjson

from kubeopt_collector.simulator.fleet import ClusterFleet
from kubeopt_common.events import AssetKind, PodAsset, VolumeKind

IntArray: TypeAlias = npt.NDArray[np.int64]
NodeAssets: TypeAlias = Sequence[dict[str, Any]]
_NONE: NodeAssets = ()


class FleetAssets:
    """The asset entries of one cluster's placed pods, ready to be resolved per window.

    ``first_position`` maps each placed pod to the position of its first container (see
    :class:`~kubeopt_collector.simulator.columns.FleetColumns`); ``node_start[k]`` is the first
    position of node ``k`` (in name order), ``node_start[-1]`` the number of positions.
    """

    def __init__(
        self, fleet: ClusterFleet, first_position: Mapping[int, int], node_start: IntArray
    ) -> None:
        self._nodes = len(node_start) - 1
        groups: dict[tuple[str, str, str], int] = {}
        self._static: list[tuple[str, str, str, int]] = []
        group: list[int] = []
        pod: list[int] = []
        position: list[int] = []
        order: list[int] = []
        for index, slot in enumerate(fleet.pods):
            first = first_position.get(index)
            if first is None:
                continue  # pending: never runs
            workload = fleet.workloads[slot.workload]
            namespace = workload.contract.namespace
            held = [
                (AssetKind.PERSISTENT_VOLUME, v.claim, v.storage_class, v.size_bytes)
                for v in slot.volumes
                if v.kind is VolumeKind.PVC
            ]
            held += [(AssetKind.LOAD_BALANCER, name, "", 0) for name in workload.load_balancers]
            for kind, name, storage_class, size_bytes in held:
                key = (namespace, kind.value, name)
                if key not in groups:
                    groups[key] = len(groups)
                    self._static.append(_static(kind, name, storage_class, size_bytes))
                group.append(groups[key])
                pod.append(index)
                position.append(first)
                order.append(len(order))
        # Group-major (an asset's holders together, in slot order) for sharers and ranks.
        by_group = np.argsort(np.array(group, dtype=np.int64), kind="stable")
        self._group = np.array(group, dtype=np.int64)[by_group]
        self._pod = np.array(pod, dtype=np.int64)[by_group]
        self._position = np.array(position, dtype=np.int64)[by_group]
        self._group_first = np.searchsorted(self._group, np.arange(len(groups)))
        # Node-major (position order, then the pod's own order) for emitting.
        self._by_node = np.lexsort((np.array(order, dtype=np.int64)[by_group], self._position))
        self._node = np.searchsorted(node_start, self._position, side="right") - 1
        self.node_bytes = self._node_bytes(node_start)

    def __len__(self) -> int:
        return len(self._group)

    def _node_bytes(self, node_start: IntArray) -> list[int]:
        """Per node, the JSON bytes its assets take at most: every entry it could hold, with the
        widest row index the node has and the asset's sharers and rank at their largest."""
        holders = np.bincount(self._group, minlength=len(self._static))
        widest_row = np.maximum(np.diff(node_start) - 1, 0)
        sizes = [
            len(
                orjson.dumps(
                    {
                        "container": int(widest_row[node]),
                        **_fields(*self._static[group]),
                        "sharers": int(holders[group]),
                        "rank": int(holders[group]) - 1,
                    }
                )
            )
            + 1
            for group, node in zip(self._group.tolist(), self._node.tolist(), strict=True)
        ]
        per_node = np.bincount(self._node, weights=sizes, minlength=self._nodes)
        return [int(size) for size in per_node]

    def window(
        self, pod_active: npt.NDArray[np.bool_], row_of: IntArray, bounds: IntArray
    ) -> list[NodeAssets]:
        """Each node's assets in the window: dicts in the contract's field order.

        ``row_of[position]`` is the position's index among the window's running containers and
        ``bounds[k]`` node ``k``'s first such index, so a row within the node is their difference.
        """
        out: list[NodeAssets] = [_NONE] * self._nodes
        if not len(self._group):
            return out
        held = pod_active[self._pod]
        counted = np.cumsum(held, dtype=np.int64)
        before = counted[self._group_first] - held[self._group_first]
        rank = counted - 1 - before[self._group]
        sharers = np.bincount(self._group[held], minlength=len(self._static)).tolist()
        chosen = self._by_node[held[self._by_node]]
        nodes = self._node[chosen]
        rows = row_of[self._position[chosen]] - bounds[nodes]
        static = self._static
        bucket: list[dict[str, Any]] = []
        for node, row, entry_rank, group in zip(
            nodes.tolist(),
            rows.tolist(),
            rank[chosen].tolist(),
            self._group[chosen].tolist(),
            strict=True,
        ):
            if out[node] is _NONE:
                out[node] = bucket = []
            kind, name, storage_class, size_bytes = static[group]
            bucket.append(
                {
                    "container": row,
                    "kind": kind,
                    "name": name,
                    "storage_class": storage_class,
                    "size_bytes": size_bytes,
                    "sharers": sharers[group],
                    "rank": entry_rank,
                }
            )
        return out


def _static(
    kind: AssetKind, name: str, storage_class: str, size_bytes: int
) -> tuple[str, str, str, int]:
    """The fields of an asset that do not change between windows, checked by the contract."""
    static = (kind.value, name, storage_class, size_bytes)
    PodAsset.model_validate({"container": 0, **_fields(*static)})
    return static


def _fields(kind: str, name: str, storage_class: str, size_bytes: int) -> dict[str, Any]:
    return {"kind": kind, "name": name, "storage_class": storage_class, "size_bytes": size_bytes}
