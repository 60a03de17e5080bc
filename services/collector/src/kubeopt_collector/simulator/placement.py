"""A deterministic pod scheduler for the synthetic fleet.

* DaemonSet pods go one per node (of their pool, or of every pool: DaemonSets tolerate taints).
* Other pods are spread over zones: replica ``r`` prefers zone ``(r + offset) mod zones`` and
  takes the first node there (in name order) whose free requests fit; then the other zones.
* If nothing fits, the pod goes to the least-loaded eligible node anyway: overcommit is allowed
  (Σ requests > capacity) and must be representable, as after a node failure in a real cluster.
* A pod pinned to a pool with no nodes stays pending (``None``).

Unpinned pods never land on a ``tainted`` pool (its taint has no toleration in their spec).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NodeSlot:
    """What the scheduler knows of a node. Capacities in millicores and bytes."""

    name: str
    pool: str
    zone: str
    cpu_millicores: int
    memory_bytes: int
    tainted: bool = False


class Scheduler:
    """Places pods one by one, remembering what each node has committed."""

    def __init__(self, nodes: Sequence[NodeSlot]) -> None:
        self._nodes = tuple(nodes)
        self._cpu_used = [0] * len(self._nodes)
        self._memory_used = [0] * len(self._nodes)

    @property
    def cpu_committed_millicores(self) -> tuple[int, ...]:
        return tuple(self._cpu_used)

    @property
    def memory_committed_bytes(self) -> tuple[int, ...]:
        return tuple(self._memory_used)

    def _eligible(self, pool: str | None) -> list[int]:
        if pool is not None:
            return [i for i, n in enumerate(self._nodes) if n.pool == pool]
        return [i for i, n in enumerate(self._nodes) if not n.tainted]

    def _reserve(self, node: int, cpu_millicores: int, memory_bytes: int) -> int:
        self._cpu_used[node] += cpu_millicores
        self._memory_used[node] += memory_bytes
        return node

    def _fits(self, node: int, cpu_millicores: int, memory_bytes: int) -> bool:
        slot = self._nodes[node]
        return (
            self._cpu_used[node] + cpu_millicores <= slot.cpu_millicores
            and self._memory_used[node] + memory_bytes <= slot.memory_bytes
        )

    def _load(self, node: int) -> float:
        slot = self._nodes[node]
        return max(
            self._cpu_used[node] / slot.cpu_millicores,
            self._memory_used[node] / slot.memory_bytes,
        )

    def place_daemon(
        self, *, cpu_millicores: int, memory_bytes: int, pool: str | None
    ) -> list[int]:
        """One pod per node of ``pool`` (every node when None); returns the node indices."""
        nodes = [i for i, n in enumerate(self._nodes) if pool is None or n.pool == pool]
        return [self._reserve(i, cpu_millicores, memory_bytes) for i in nodes]

    def place(
        self,
        *,
        cpu_millicores: int,
        memory_bytes: int,
        pool: str | None,
        replica: int,
        zone_offset: int,
    ) -> int | None:
        """The node for one replica, committed; None when no node is eligible (pending)."""
        eligible = self._eligible(pool)
        if not eligible:
            return None
        zones = sorted({self._nodes[i].zone for i in eligible})
        first = (replica + zone_offset) % len(zones)
        for zone in zones[first:] + zones[:first]:
            for node in eligible:
                if self._nodes[node].zone == zone and self._fits(
                    node, cpu_millicores, memory_bytes
                ):
                    return self._reserve(node, cpu_millicores, memory_bytes)
        # Nothing fits anywhere: overcommit the least-loaded eligible node (ties: name order).
        target = min(eligible, key=lambda i: (self._load(i), i))
        return self._reserve(target, cpu_millicores, memory_bytes)
