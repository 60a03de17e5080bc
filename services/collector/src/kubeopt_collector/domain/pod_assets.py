"""The pod assets of one usage window, from the inventory: the claims each pod mounts and its
share of the ``LoadBalancer`` Services selecting it (``NodeUsage.assets``).

* ``pv``: every ``persistentVolumeClaim`` volume whose claim the inventory knows, with the
  claim's storage class and requested size (its capacity when it requests none). Node-local
  volumes (``emptyDir``, ``hostPath``) are part of the node and carry nothing.
* ``lb``: every ``LoadBalancer`` Service of the pod's namespace whose selector matches the
  pod's labels (a Service without a selector selects no pod).

An asset is shared by the pods holding it among the window's rows — every node of the cluster's
window, whichever message carries them — ranked by pod name, so each sharer lists it once with
a distinct rank. An asset sits on the row of its pod's first container. Pods the inventory does
not know (yet) carry no assets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.kube_objects import PodRecord
from kubeopt_common.events import AssetKind, ContainerSample, PodAsset

AssetKey = tuple[str, AssetKind, str]  # namespace, kind, claim or Service name


@dataclass(frozen=True, slots=True)
class _Holder:
    pod: str
    node: str
    row: int


def window_assets(
    rows: Mapping[str, Sequence[ContainerSample]], inventory: ClusterInventory
) -> dict[str, tuple[PodAsset, ...]]:
    """Per node, the assets of the pods in ``rows`` (the window's rows of every node), ordered
    by row, then kind and name."""
    first_rows: dict[tuple[str, str], tuple[str, int]] = {}
    for node in sorted(rows):
        for index, row in enumerate(rows[node]):
            first_rows.setdefault((row.namespace, row.pod), (node, index))
    holders: dict[AssetKey, list[_Holder]] = defaultdict(list)
    claims: dict[AssetKey, tuple[str, int]] = {}
    selected = _ServiceMatcher(inventory)
    for (namespace, name), (node, index) in first_rows.items():
        pod = inventory.pod(namespace, name)
        if pod is None:
            continue
        holder = _Holder(name, node, index)
        for claim_name in dict.fromkeys(v.claim for v in pod.volumes if v.kind == "pvc"):
            claim = inventory.pvc(namespace, claim_name) if claim_name else None
            if claim is None:
                continue
            key = (namespace, AssetKind.PERSISTENT_VOLUME, claim_name)
            claims[key] = (claim.storage_class, claim.requested_bytes or claim.size_bytes)
            holders[key].append(holder)
        for service in selected(pod):
            holders[(namespace, AssetKind.LOAD_BALANCER, service)].append(holder)
    per_node: dict[str, list[PodAsset]] = defaultdict(list)
    for key, members in holders.items():
        _, kind, name = key
        storage_class, size_bytes = claims.get(key, ("", 0))
        members.sort(key=lambda h: h.pod)
        for rank, member in enumerate(members):
            per_node[member.node].append(
                PodAsset(
                    container=member.row,
                    kind=kind,
                    name=name,
                    storage_class=storage_class,
                    size_bytes=size_bytes,
                    sharers=len(members),
                    rank=rank,
                )
            )
    return {
        node: tuple(sorted(assets, key=lambda a: (a.container, a.kind.value, a.name)))
        for node, assets in per_node.items()
    }


class _ServiceMatcher:
    """Names of the ``LoadBalancer`` Services selecting a pod; pods share interned label sets,
    so each (namespace, label set) is matched once."""

    def __init__(self, inventory: ClusterInventory) -> None:
        self._inventory = inventory
        self._seen: dict[tuple[str, int], tuple[str, ...]] = {}

    def __call__(self, pod: PodRecord) -> tuple[str, ...]:
        key = (pod.namespace, id(pod.labels))
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = tuple(
                sorted(
                    s.name
                    for s in self._inventory.load_balancers(pod.namespace)
                    if s.selector.matches(pod.labels)
                )
            )
        return found
