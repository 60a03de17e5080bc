"""Node prices: catalog lookup, overrides, defaults, and the CPU/RAM/GPU split.

Every price is an integer nano-USD per hour. A node whose instance type is not in the catalog is
priced from the provider's per-vCPU / per-GiB / per-GPU defaults and *flagged* (``source``), never
silently priced at zero.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Protocol

from kubeopt_common.events import CapacityType, Node, Provider

GIB = 1024**3
MILLI = 1000


class PriceSource(StrEnum):
    CATALOG = "catalog"
    OVERRIDE = "override"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class InstancePrice:
    """List prices of one instance type in one region, nano-USD per hour."""

    on_demand_nano_usd_per_hour: int
    spot_nano_usd_per_hour: int | None = None


@dataclass(frozen=True, slots=True)
class UnitPrices:
    """Per-unit hourly prices used for unknown instance types (nano-USD per unit-hour)."""

    cpu_nano_usd_per_vcpu_hour: int
    ram_nano_usd_per_gib_hour: int
    gpu_nano_usd_per_gpu_hour: int
    spot_cpu_nano_usd_per_vcpu_hour: int
    spot_ram_nano_usd_per_gib_hour: int
    spot_gpu_nano_usd_per_gpu_hour: int


@dataclass(frozen=True, slots=True)
class ProviderCatalog:
    provider: Provider
    defaults: UnitPrices
    # (region, instance_type) -> price
    instances: Mapping[tuple[str, str], InstancePrice]


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """A pinned price. Empty match fields match anything; the most specific match wins."""

    hourly_nano_usd: int
    instance_type: str = ""
    capacity_type: CapacityType | None = None
    cluster: str = ""
    node: str = ""

    @property
    def specificity(self) -> int:
        return (
            (8 if self.node else 0)
            + (4 if self.cluster else 0)
            + (2 if self.instance_type else 0)
            + (1 if self.capacity_type else 0)
        )

    def matches(self, *, cluster: str, node: Node) -> bool:
        return (
            (not self.node or self.node == node.name)
            and (not self.cluster or self.cluster == cluster)
            and (not self.instance_type or self.instance_type == node.instance_type)
            and (self.capacity_type is None or self.capacity_type == node.capacity_type)
        )


@dataclass(frozen=True, slots=True)
class SplitRatios:
    """Relative cost of one vCPU and one GPU, each against one GiB of RAM (OpenCost defaults)."""

    cpu_to_ram: Fraction = Fraction(31611, 4237)  # 0.031611 $/vCPU-h ÷ 0.004237 $/GiB-h
    gpu_to_ram: Fraction = Fraction(950000, 4237)  # 0.95 $/GPU-h ÷ 0.004237 $/GiB-h

    def weights(self, cpu_millicores: int, memory_bytes: int, gpus: int) -> tuple[int, int, int]:
        """Integer weights proportional to vCPUs × cpu_to_ram, GiB × 1 and GPUs × gpu_to_ram.

        Scaled by 1000 · GiB and both ratio denominators so that exact integer arithmetic
        replaces fractions on the hot path; cached because node shapes repeat every window.
        """
        return _weights(self, cpu_millicores, memory_bytes, gpus)


@functools.lru_cache(maxsize=4096)
def _weights(
    ratios: SplitRatios, cpu_millicores: int, memory_bytes: int, gpus: int
) -> tuple[int, int, int]:
    a, b = ratios.cpu_to_ram.numerator, ratios.cpu_to_ram.denominator
    c, d = ratios.gpu_to_ram.numerator, ratios.gpu_to_ram.denominator
    return (
        cpu_millicores * a * d * GIB,
        memory_bytes * MILLI * b * d,
        gpus * c * b * MILLI * GIB,
    )


@dataclass(frozen=True, slots=True)
class NodePrice:
    hourly_nano_usd: int
    source: PriceSource


class NodePricer(Protocol):
    """What allocation needs from a cost model: each node's hourly price and the split ratios.

    Cost models are plugins (entry-point group ``kubeopt.cost_models``); the built-in
    ``catalog`` model is :class:`PriceBook`.
    """

    @property
    def ratios(self) -> SplitRatios: ...

    def node_price(
        self, *, cluster: str, provider: Provider, region: str, node: Node
    ) -> NodePrice: ...


@dataclass(frozen=True, slots=True)
class PriceBook:
    """Everything needed to price a node: catalogs per provider and pinned overrides."""

    catalogs: Mapping[Provider, ProviderCatalog]
    overrides: Sequence[PriceOverride] = ()
    ratios: SplitRatios = field(default_factory=SplitRatios)
    # Prices of nodes already seen: a node costs the same every window.
    _memo: dict[tuple[object, ...], NodePrice] = field(default_factory=dict, compare=False)

    def node_price(self, *, cluster: str, provider: Provider, region: str, node: Node) -> NodePrice:
        """Hourly price of ``node``: override, else catalog list price, else flagged default."""
        key = (
            cluster,
            provider,
            region,
            node.name,
            node.instance_type,
            node.capacity_type,
            node.cpu_capacity_millicores,
            node.memory_capacity_bytes,
            node.gpu_count,
        )
        price = self._memo.get(key)
        if price is None:
            if len(self._memo) > 100_000:
                self._memo.clear()
            price = self._memo[key] = self._lookup(
                cluster=cluster, provider=provider, region=region, node=node
            )
        return price

    def _lookup(self, *, cluster: str, provider: Provider, region: str, node: Node) -> NodePrice:
        override = _best_override(self.overrides, cluster=cluster, node=node)
        if override is not None:
            return NodePrice(override.hourly_nano_usd, PriceSource.OVERRIDE)
        catalog = self.catalogs.get(provider)
        if catalog is None:
            catalog = self.catalogs[Provider.ONPREM]
        listed = catalog.instances.get((region, node.instance_type))
        spot = node.capacity_type is CapacityType.SPOT
        if listed is not None and not (spot and listed.spot_nano_usd_per_hour is None):
            price = listed.spot_nano_usd_per_hour if spot else listed.on_demand_nano_usd_per_hour
            return NodePrice(price or 0, PriceSource.CATALOG)
        return NodePrice(_default_price(catalog.defaults, node, spot=spot), PriceSource.DEFAULT)


def _best_override(
    overrides: Sequence[PriceOverride], *, cluster: str, node: Node
) -> PriceOverride | None:
    best: PriceOverride | None = None
    for candidate in overrides:
        if candidate.matches(cluster=cluster, node=node) and (
            best is None or candidate.specificity > best.specificity
        ):
            best = candidate
    return best


def _default_price(units: UnitPrices, node: Node, *, spot: bool) -> int:
    cpu = units.spot_cpu_nano_usd_per_vcpu_hour if spot else units.cpu_nano_usd_per_vcpu_hour
    ram = units.spot_ram_nano_usd_per_gib_hour if spot else units.ram_nano_usd_per_gib_hour
    gpu = units.spot_gpu_nano_usd_per_gpu_hour if spot else units.gpu_nano_usd_per_gpu_hour
    total = (
        Fraction(cpu * node.cpu_capacity_millicores, MILLI)
        + Fraction(ram * node.memory_capacity_bytes, GIB)
        + gpu * node.gpu_count
    )
    return int(total)


@dataclass(frozen=True, slots=True)
class ResourceCosts:
    """A node's cost for one window, split by resource; the parts sum exactly to the whole."""

    cpu_nano_usd: int
    ram_nano_usd: int
    gpu_nano_usd: int

    @property
    def total_nano_usd(self) -> int:
        return self.cpu_nano_usd + self.ram_nano_usd + self.gpu_nano_usd


def window_cost(hourly_nano_usd: int, window_seconds: int) -> int:
    """Cost of ``window_seconds`` at an hourly price (floored to a nano-dollar)."""
    return hourly_nano_usd * window_seconds // 3600


def split_node_cost(node_cost_nano_usd: int, node: Node, ratios: SplitRatios) -> ResourceCosts:
    """Split a node's cost over CPU, RAM and GPU by weighted capacity (OpenCost's method).

    Weights: vCPUs × cpu_to_ram, GiB of RAM × 1, GPUs × gpu_to_ram. CPU and GPU shares are
    floored; RAM takes the remainder, so the three parts sum to the node cost exactly.
    """
    cpu_w, ram_w, gpu_w = ratios.weights(
        node.cpu_capacity_millicores, node.memory_capacity_bytes, node.gpu_count
    )
    total_w = cpu_w + ram_w + gpu_w
    cpu = node_cost_nano_usd * cpu_w // total_w
    gpu = node_cost_nano_usd * gpu_w // total_w
    return ResourceCosts(cpu, node_cost_nano_usd - cpu - gpu, gpu)
