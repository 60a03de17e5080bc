"""Allocation of a node's window cost to its containers, with idle as an explicit row.

Per container and resource the charge basis is ``max(request, usage)`` (GPU: the request). When
the bases on a node add up to more than its capacity they are scaled down together, so that

    Σ container cost + idle cost == node cost    (exactly, in nano-USD)

and idle is never negative. Each container's share is floored; the flooring crumbs stay in idle.

Persistent volume claims and load balancer shares (the pods' assets) are added to their pods'
rows on top of that: they are priced separately and are not part of the node's cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from operator import add
from typing import Any, Final

from kubeopt_common.events import NodeUsage, UsageSampled, WorkloadKind
from kubeopt_costing.domain.footprint import Footprints, split_footprint
from kubeopt_costing.domain.pod_assets import AssetPricer
from kubeopt_costing.domain.pricing import NodePricer, ResourceCosts, split_node_cost, window_cost
from kubeopt_costing.domain.shares import allocate

IDLE: Final = "__idle__"
_KIND_TEXT: Final = {kind: kind.value for kind in WorkloadKind}  # plain str for the engine


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
    pv_bytes: list[int] = field(default_factory=list)
    cpu_cost_nano_usd: list[int] = field(default_factory=list)
    memory_cost_nano_usd: list[int] = field(default_factory=list)
    gpu_cost_nano_usd: list[int] = field(default_factory=list)
    pv_cost_nano_usd: list[int] = field(default_factory=list)
    lb_cost_nano_usd: list[int] = field(default_factory=list)
    total_cost_nano_usd: list[int] = field(default_factory=list)
    energy_uwh: list[int] = field(default_factory=list)
    co2e_ug: list[int] = field(default_factory=list)
    co2e_marginal_ug: list[int] = field(default_factory=list)
    ingest_id: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.node)

    def columns(self) -> dict[str, list[object]]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def ingest_id(event: UsageSampled) -> int:
    """The batch's id in the cost rows: the top 63 bits of its event id.

    An integer column is far cheaper to store and compare than the UUID text; 63 bits keep the
    value inside a signed 64-bit integer, which is how the engine reads Python ints.
    """
    return event.event_id.int >> 65


def price_batch(
    event: UsageSampled, book: NodePricer, rows: CostRows, carbon: Footprints | None = None
) -> None:
    """Append the cost (and, with ``carbon``, energy and CO2e) rows of every node in ``event``."""
    start = int(event.window_start.timestamp())
    assets = AssetPricer(book, event.cluster, event.provider, event.region)
    for node_usage in event.nodes:
        node = node_usage.node
        price = book.node_price(
            cluster=event.cluster, provider=event.provider, region=event.region, node=node
        )
        costs = split_node_cost(
            window_cost(price.hourly_nano_usd, event.window_seconds), node, price.ratios
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
            ingest_id(event),
        )
        first_row = len(rows)
        cpu_basis, mem_basis = _price_node(node_usage, costs, facts, event.label_sets, rows)
        if node_usage.assets:
            _charge_assets(rows, first_row, assets, node_usage, event.window_seconds)
        if carbon is None:
            _no_footprint(rows, len(node_usage.containers) + 1)
        else:
            _footprint(event, node_usage, carbon, (cpu_basis, mem_basis), rows)


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
    ingest_id: int


_NODE_FACT_NAMES = tuple(f.name for f in fields(_NodeFacts))


def _price_node(
    usage: NodeUsage,
    costs: ResourceCosts,
    facts: _NodeFacts,
    label_sets: Sequence[dict[str, str]],
    rows: CostRows,
) -> tuple[list[int], list[int]]:
    """Write the node's cost rows; returns the CPU and memory bases (for carbon)."""
    node, c = usage.node, usage.containers
    cpu_cap, mem_cap = node.cpu_capacity_millicores, node.memory_capacity_bytes
    cpu_basis = list(map(max, c.cpu_request_millicores, c.cpu_usage_millicores))
    mem_basis = list(map(max, c.memory_request_bytes, c.memory_usage_bytes))
    cpu_cost, cpu_idle = allocate(costs.cpu_nano_usd, cpu_basis, cpu_cap)
    mem_cost, mem_idle = allocate(costs.ram_nano_usd, mem_basis, mem_cap)
    gpu_cost, gpu_idle = allocate(costs.gpu_nano_usd, c.gpu_request, node.gpu_count)
    cpu_total, mem_total = sum(cpu_basis), sum(mem_basis)
    _node_columns(rows, facts, len(c) + 1)
    # Each column gets the node's containers, then its idle row. (Hot path: extend/append.)
    _extend(rows.namespace, c.namespace, IDLE)
    _extend(rows.workload_kind, map(_KIND_TEXT.__getitem__, c.workload_kind), "")
    _extend(rows.workload, c.workload, IDLE)
    _extend(rows.pod, c.pod, "")
    _extend(rows.container, c.container, "")
    _extend(rows.labels, map(label_sets.__getitem__, c.label_set), {})
    _extend(rows.cpu_request_millicores, c.cpu_request_millicores, 0)
    _extend(rows.memory_request_bytes, c.memory_request_bytes, 0)
    _extend(rows.gpu_request, c.gpu_request, 0)
    _extend(rows.cpu_usage_millicores, c.cpu_usage_millicores, 0)
    _extend(rows.memory_usage_bytes, c.memory_usage_bytes, 0)
    _extend(
        rows.cpu_allocated_millicores,
        _scaled_all(cpu_basis, cpu_cap, cpu_total),
        max(cpu_cap - cpu_total, 0),
    )
    _extend(
        rows.memory_allocated_bytes,
        _scaled_all(mem_basis, mem_cap, mem_total),
        max(mem_cap - mem_total, 0),
    )
    _extend(rows.cpu_cost_nano_usd, cpu_cost, cpu_idle)
    _extend(rows.memory_cost_nano_usd, mem_cost, mem_idle)
    _extend(rows.gpu_cost_nano_usd, gpu_cost, gpu_idle)
    totals = map(add, map(add, cpu_cost, mem_cost), gpu_cost)
    _extend(rows.total_cost_nano_usd, totals, cpu_idle + mem_idle + gpu_idle)
    zeros = [0] * (len(c) + 1)
    rows.pv_bytes.extend(zeros)
    rows.pv_cost_nano_usd.extend(zeros)
    rows.lb_cost_nano_usd.extend(zeros)
    return cpu_basis, mem_basis


def _charge_assets(
    rows: CostRows, first_row: int, pricer: AssetPricer, usage: NodeUsage, window_seconds: int
) -> None:
    """Add the node's pod assets (PV claims, LB shares) to their pods' rows and totals."""
    for charge in pricer.charges(usage.assets, window_seconds):
        row = first_row + charge.row
        rows.pv_bytes[row] += charge.pv_bytes
        rows.pv_cost_nano_usd[row] += charge.pv_cost_nano_usd
        rows.lb_cost_nano_usd[row] += charge.lb_cost_nano_usd
        rows.total_cost_nano_usd[row] += charge.pv_cost_nano_usd + charge.lb_cost_nano_usd


def _no_footprint(rows: CostRows, count: int) -> None:
    zeros = [0] * count
    for column in (rows.energy_uwh, rows.co2e_ug, rows.co2e_marginal_ug):
        column.extend(zeros)


def _footprint(
    event: UsageSampled,
    usage: NodeUsage,
    footprints: Footprints,
    bases: tuple[list[int], list[int]],
    rows: CostRows,
) -> None:
    """Energy (µWh, with PUE) and CO2e (µg) of the node split like its cost; idle keeps the rest."""
    node, c = usage.node, usage.containers
    footprint = footprints.node(
        provider=event.provider,
        region=event.region,
        node=node,
        window_start=event.window_start,
        window_seconds=event.window_seconds,
        cpu_usage_millicores=sum(c.cpu_usage_millicores),
    )
    cpu_basis, mem_basis = bases
    split = split_footprint(
        footprint,
        cpu_bases=cpu_basis,
        cpu_capacity=node.cpu_capacity_millicores,
        memory_bases=mem_basis,
        memory_capacity=node.memory_capacity_bytes,
        gpu_bases=c.gpu_request,
        gpu_capacity=node.gpu_count,
    )
    _extend(rows.co2e_ug, split.co2e_ug, split.co2e_idle_ug)
    _extend(rows.co2e_marginal_ug, split.marginal_ug, split.marginal_idle_ug)
    _extend(rows.energy_uwh, split.energy_uwh, split.energy_idle_uwh)


def _extend(column: list[Any], values: Iterable[Any], last: Any) -> None:
    column.extend(values)
    column.append(last)


def _scaled_all(bases: list[int], capacity: int, total: int) -> list[int]:
    return bases if total <= capacity else [b * capacity // total for b in bases]


def _node_columns(rows: CostRows, facts: _NodeFacts, count: int) -> None:
    """The per-node columns, repeated for the node's ``count`` rows (containers + idle)."""
    for name in _NODE_FACT_NAMES:
        getattr(rows, name).extend([getattr(facts, name)] * count)
