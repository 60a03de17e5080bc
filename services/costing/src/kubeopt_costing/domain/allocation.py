"""Allocation of a node's window cost to its containers, with idle as an explicit row.

Per container and resource the charge basis is ``max(request, usage)`` (GPU: the request). When
the bases on a node add up to more than its capacity they are scaled down together, so that

    Σ container cost + idle cost == node cost    (exactly, in nano-USD)

and idle is never negative. Each container's share is floored; the flooring crumbs stay in idle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Final

from kubeopt_common.events import NodeUsage, UsageSampled
from kubeopt_costing.domain.pricing import PriceBook, ResourceCosts, split_node_cost, window_cost

IDLE: Final = "__idle__"


@dataclass(frozen=True, slots=True)
class Share:
    """One consumer's basis and the cost it was allocated."""

    basis: int
    cost_nano_usd: int


def allocate(total_nano_usd: int, bases: Sequence[int], capacity: int) -> tuple[list[int], int]:
    """Split ``total_nano_usd`` (the cost of ``capacity`` units) over ``bases``.

    Returns (cost per basis, idle). Each share is ``total × basis / max(capacity, Σ bases)``
    floored, so over-committed nodes are scaled down and Σ shares + idle == total, idle ≥ 0.
    A node with no capacity of a resource (e.g. no GPU) allocates nothing.
    """
    denominator = max(capacity, sum(bases))
    if denominator <= 0 or total_nano_usd <= 0:
        return [0] * len(bases), max(total_nano_usd, 0)
    shares = [total_nano_usd * basis // denominator for basis in bases]
    return shares, total_nano_usd - sum(shares)


def scaled(basis: int, capacity: int, total_basis: int) -> int:
    """The basis after scaling an over-committed node down to its capacity."""
    return basis if total_basis <= capacity else basis * capacity // total_basis


@dataclass
class CostRows:
    """Column-oriented cost rows (one per container and one idle row per node and window)."""

    window_start: list[int] = field(default_factory=list)
    window_seconds: list[int] = field(default_factory=list)
    cluster: list[str] = field(default_factory=list)
    provider: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    zone: list[str] = field(default_factory=list)
    node: list[str] = field(default_factory=list)
    instance_type: list[str] = field(default_factory=list)
    capacity_type: list[str] = field(default_factory=list)
    price_source: list[str] = field(default_factory=list)
    namespace: list[str] = field(default_factory=list)
    workload_kind: list[str] = field(default_factory=list)
    workload: list[str] = field(default_factory=list)
    pod: list[str] = field(default_factory=list)
    container: list[str] = field(default_factory=list)
    labels: list[dict[str, str]] = field(default_factory=list)
    cpu_request_millicores: list[int] = field(default_factory=list)
    memory_request_bytes: list[int] = field(default_factory=list)
    gpu_request: list[int] = field(default_factory=list)
    cpu_usage_millicores: list[int] = field(default_factory=list)
    memory_usage_bytes: list[int] = field(default_factory=list)
    cpu_allocated_millicores: list[int] = field(default_factory=list)
    memory_allocated_bytes: list[int] = field(default_factory=list)
    cpu_cost_nano_usd: list[int] = field(default_factory=list)
    memory_cost_nano_usd: list[int] = field(default_factory=list)
    gpu_cost_nano_usd: list[int] = field(default_factory=list)
    total_cost_nano_usd: list[int] = field(default_factory=list)
    ingest_id: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.node)

    def columns(self) -> dict[str, list[object]]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def price_batch(event: UsageSampled, book: PriceBook, rows: CostRows) -> None:
    """Append the cost rows of every node in ``event`` to ``rows``."""
    start = int(event.window_start.timestamp())
    for node_usage in event.nodes:
        node = node_usage.node
        price = book.node_price(
            cluster=event.cluster, provider=event.provider, region=event.region, node=node
        )
        costs = split_node_cost(
            window_cost(price.hourly_nano_usd, event.window_seconds), node, book.ratios
        )
        facts = _NodeFacts(
            start,
            event.window_seconds,
            event.cluster,
            event.provider.value,
            event.region,
            node.zone,
            node.name,
            node.instance_type,
            node.capacity_type.value,
            price.source.value,
            str(event.event_id),
        )
        _price_node(node_usage, costs, facts, event.label_sets, rows)


@dataclass(frozen=True, slots=True)
class _NodeFacts:
    window_start: int
    window_seconds: int
    cluster: str
    provider: str
    region: str
    zone: str
    node: str
    instance_type: str
    capacity_type: str
    price_source: str
    ingest_id: str


_NODE_FACT_NAMES = tuple(f.name for f in fields(_NodeFacts))


def _price_node(
    usage: NodeUsage,
    costs: ResourceCosts,
    facts: _NodeFacts,
    label_sets: Sequence[dict[str, str]],
    rows: CostRows,
) -> None:
    node, c = usage.node, usage.containers
    n = len(c)
    cpu_basis = list(map(max, c.cpu_request_millicores, c.cpu_usage_millicores))
    mem_basis = list(map(max, c.memory_request_bytes, c.memory_usage_bytes))
    cpu_cost, cpu_idle = allocate(costs.cpu_nano_usd, cpu_basis, node.cpu_capacity_millicores)
    mem_cost, mem_idle = allocate(costs.ram_nano_usd, mem_basis, node.memory_capacity_bytes)
    gpu_cost, gpu_idle = allocate(costs.gpu_nano_usd, c.gpu_request, node.gpu_count)
    cpu_total, mem_total = sum(cpu_basis), sum(mem_basis)
    cpu_cap, mem_cap = node.cpu_capacity_millicores, node.memory_capacity_bytes
    _node_columns(rows, facts, n + 1)
    rows.namespace.extend(c.namespace)
    rows.namespace.append(IDLE)
    rows.workload_kind.extend(k.value for k in c.workload_kind)
    rows.workload_kind.append("")
    rows.workload.extend(c.workload)
    rows.workload.append(IDLE)
    rows.pod.extend(c.pod)
    rows.pod.append("")
    rows.container.extend(c.container)
    rows.container.append("")
    rows.labels.extend(label_sets[i] for i in c.label_set)
    rows.labels.append({})
    rows.cpu_request_millicores.extend([*c.cpu_request_millicores, 0])
    rows.memory_request_bytes.extend([*c.memory_request_bytes, 0])
    rows.gpu_request.extend([*c.gpu_request, 0])
    rows.cpu_usage_millicores.extend([*c.cpu_usage_millicores, 0])
    rows.memory_usage_bytes.extend([*c.memory_usage_bytes, 0])
    rows.cpu_allocated_millicores.extend(scaled(b, cpu_cap, cpu_total) for b in cpu_basis)
    rows.cpu_allocated_millicores.append(max(cpu_cap - cpu_total, 0))
    rows.memory_allocated_bytes.extend(scaled(b, mem_cap, mem_total) for b in mem_basis)
    rows.memory_allocated_bytes.append(max(mem_cap - mem_total, 0))
    cpu_cost.append(cpu_idle)
    mem_cost.append(mem_idle)
    gpu_cost.append(gpu_idle)
    rows.cpu_cost_nano_usd.extend(cpu_cost)
    rows.memory_cost_nano_usd.extend(mem_cost)
    rows.gpu_cost_nano_usd.extend(gpu_cost)
    rows.total_cost_nano_usd.extend(map(sum, zip(cpu_cost, mem_cost, gpu_cost, strict=True)))


def _node_columns(rows: CostRows, facts: _NodeFacts, count: int) -> None:
    """The per-node columns, repeated for the node's ``count`` rows (containers + idle)."""
    for name in _NODE_FACT_NAMES:
        getattr(rows, name).extend([getattr(facts, name)] * count)
