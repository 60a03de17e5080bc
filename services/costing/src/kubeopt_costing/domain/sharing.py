"""Sharing idle and shared costs over the other allocations — exact integer redistribution.

* ``share_idle``: each node's idle cost, per resource (CPU, RAM, GPU), goes to the allocations on
  that node in proportion to their cost of the same resource (OpenCost's weighted idle sharing,
  per node). A node with no allocation of that resource keeps it as ``__idle__``.
* ``share_costs``: allocations marked shared (namespaces or labels) are removed and their cost
  spread over the others, weighted by the others' total cost or evenly.

Every split is done with the largest-remainder method, so what is distributed sums exactly to
what was taken — nothing is created or lost in rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

RESOURCE_COSTS = {
    "cpu": "cpu_cost_nano_usd",
    "memory": "memory_cost_nano_usd",
    "gpu": "gpu_cost_nano_usd",
}
SHARED_COSTS = (
    "cpu_cost_nano_usd",
    "memory_cost_nano_usd",
    "gpu_cost_nano_usd",
    "pv_cost_nano_usd",
    "lb_cost_nano_usd",
    "network_cost_nano_usd",
)
TOTAL = "total_cost_nano_usd"


@dataclass
class Group:
    """Sums of one allocation group (before the final aggregation)."""

    key: tuple[str, ...]
    measures: dict[str, int]
    node: str = ""
    idle: bool = False
    shared: bool = False
    matches: bool = True
    price_sources: set[str] = field(default_factory=set)


def distribute(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` proportionally to ``weights`` (largest remainder; Σ result == amount).

    All-zero weights split evenly. Ties in remainders go to the earlier weight.
    """
    if not weights:
        return []
    total = sum(weights)
    if total <= 0:
        weights, total = [1] * len(weights), len(weights)
    shares = [amount * w // total for w in weights]
    rest = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def _add(group: Group, measure: str, amount: int) -> None:
    group.measures[measure] = group.measures.get(measure, 0) + amount
    group.measures[TOTAL] = group.measures.get(TOTAL, 0) + amount


def share_idle(groups: Iterable[Group]) -> list[Group]:
    """Move each node's idle cost onto the allocations of that node (per resource)."""
    by_node: dict[str, list[Group]] = {}
    for group in groups:
        by_node.setdefault(group.node, []).append(group)
    kept: list[Group] = []
    for members in by_node.values():
        idle = [g for g in members if g.idle]
        others = [g for g in members if not g.idle]
        kept.extend(others)
        for idle_group in idle:
            if _spread_idle(idle_group, others):
                continue
            kept.append(idle_group)
    return kept


def _spread_idle(idle: Group, others: Sequence[Group]) -> bool:
    """Spread ``idle`` over ``others``; True when nothing of it is left."""
    left = False
    for measure in RESOURCE_COSTS.values():
        amount = idle.measures.get(measure, 0)
        weights = [g.measures.get(measure, 0) for g in others]
        if amount == 0:
            continue
        if not others or sum(weights) == 0:
            left = True
            continue
        for group, share in zip(others, distribute(amount, weights), strict=True):
            _add(group, measure, share)
        idle.measures[TOTAL] -= amount
        idle.measures[measure] = 0
    return not left


def share_costs(groups: Iterable[Group], *, split: Literal["weighted", "even"]) -> list[Group]:
    """Remove shared groups and spread their cost over the rest (idle is neither)."""
    items = list(groups)
    shared = [g for g in items if g.shared and not g.idle]
    receivers = [g for g in items if not g.shared and not g.idle]
    if not shared or not receivers:
        return items
    weights = [g.measures.get(TOTAL, 0) if split == "weighted" else 1 for g in receivers]
    for measure in SHARED_COSTS:
        amount = sum(g.measures.get(measure, 0) for g in shared)
        for group, share in zip(receivers, distribute(amount, weights), strict=True):
            _add(group, measure, share)
    return [g for g in items if not (g.shared and not g.idle)]


def merge(groups: Iterable[Group]) -> dict[tuple[str, ...], Group]:
    """Sum groups with the same key (after sharing, the node no longer matters)."""
    merged: dict[tuple[str, ...], Group] = {}
    for group in groups:
        target = merged.get(group.key)
        if target is None:
            merged[group.key] = Group(
                group.key,
                dict(group.measures),
                idle=group.idle,
                price_sources=set(group.price_sources),
            )
            continue
        for name, value in group.measures.items():
            target.measures[name] = target.measures.get(name, 0) + value
        target.price_sources |= group.price_sources
    return merged
