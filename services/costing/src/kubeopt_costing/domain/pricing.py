"""Prices: nodes, persistent volumes, load balancers and cluster fees, in integer nano-USD.

Node prices come from, in order: a pinned override (node name > node label > instance type),
the catalog's list price, or the provider's per-vCPU / per-GiB / per-GPU defaults. A node
priced from defaults (unknown instance type or region) is *flagged* (``PriceSource.DEFAULT``),
never silently priced at zero.

Conventions every function here keeps:

* A month is :data:`HOURS_PER_MONTH` = 730 hours (the cloud providers' and Kubecost's
  convention). A per-month price becomes per-hour as ``floor(month / 730)``.
* A negotiated discount of ``bps`` basis points turns a list price into
  ``floor(list × (10000 − bps) / 10000)`` (:func:`apply_discount`), in the unit the method
  returns. Overrides are effective prices and are never discounted again.
* Every rounding is a floor to one nano-USD, so no price is ever rounded up.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Final, Protocol

from kubeopt_common.events import CapacityType, Node, Provider

GIB: Final = 1024**3
MILLI: Final = 1000
HOURS_PER_MONTH: Final = 730
BPS_SCALE: Final = 10_000
ALL_CLUSTERS: Final = "*"
# OpenCost's configs/default.json storage price ($0.04 per GiB-month), for a catalog without one.
FALLBACK_STORAGE_NANO_USD_PER_GIB_MONTH: Final = 40_000_000


class PriceSource(StrEnum):
    CATALOG = "catalog"
    OVERRIDE = "override"
    DEFAULT = "default"


class PriceCategory(StrEnum):
    """What a negotiated discount applies to."""

    COMPUTE = "compute"
    STORAGE = "storage"
    LOAD_BALANCER = "load_balancer"
    CLUSTER_FEE = "cluster_fee"
    NETWORK = "network"


def apply_discount(list_nano_usd: int, discount_bps: int) -> int:
    """``floor(list × (10000 − bps) / 10000)``: the price after a discount of ``bps`` / 100 %."""
    return list_nano_usd * (BPS_SCALE - discount_bps) // BPS_SCALE


def per_hour_from_per_month(nano_usd_per_month: int) -> int:
    """A monthly price per hour, month = 730 hours, floored to a nano-USD."""
    return nano_usd_per_month // HOURS_PER_MONTH


def storage_cost_nano_usd(*, nano_usd_per_gib_month: int, size_bytes: int, seconds: int) -> int:
    """Exact cost of ``size_bytes`` kept for ``seconds`` at a per-GiB-month price (one floor)."""
    return nano_usd_per_gib_month * size_bytes * seconds // (GIB * HOURS_PER_MONTH * 3600)


@dataclass(frozen=True, slots=True)
class InstancePrice:
    """List prices of one instance type in one region, nano-USD per hour.

    ``gpu_count`` is the number of GPUs included in the price; GPUs a node has beyond it (GCP's
    attached accelerators) are priced separately.
    """

    on_demand_nano_usd_per_hour: int
    spot_nano_usd_per_hour: int | None = None
    gpu_count: int = 0

    def hourly(self, *, spot: bool) -> int | None:
        return self.spot_nano_usd_per_hour if spot else self.on_demand_nano_usd_per_hour


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
class StoragePrices:
    """PV list prices of one provider, nano-USD per GiB-month.

    ``per_gib_month_nano_usd`` is keyed by (region, price class), e.g. ("us-east-1", "gp3");
    ``class_names`` maps Kubernetes StorageClass names to price classes.
    """

    default_class: str
    per_gib_month_nano_usd: Mapping[tuple[str, str], int]
    class_names: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ProviderCatalog:
    """One provider's list prices; lookups in an unknown region use ``base_region``, flagged."""

    provider: Provider
    defaults: UnitPrices
    # (region, instance_type) -> price
    instances: Mapping[tuple[str, str], InstancePrice]
    ratios: SplitRatios = field(default_factory=SplitRatios)
    base_region: str = ""
    storage: StoragePrices | None = None
    # region -> nano-USD per load balancer-hour
    load_balancer_nano_usd_per_hour: Mapping[str, int] = field(default_factory=dict)
    cluster_fee_nano_usd_per_hour: int = 0
    # Node label naming the model of attached GPUs, and the price per GPU-hour of each model.
    accelerator_label: str = ""
    accelerators: Mapping[str, InstancePrice] = field(default_factory=dict)

    def listing(self, region: str, instance_type: str) -> tuple[InstancePrice, PriceSource] | None:
        listed = self.instances.get((region, instance_type))
        if listed is not None:
            return listed, PriceSource.CATALOG
        listed = self.instances.get((self.base_region, instance_type))
        return None if listed is None else (listed, PriceSource.DEFAULT)

    def storage_price(self, region: str, storage_class: str) -> tuple[int, PriceSource]:
        """List price per GiB-month; an unknown class is priced as the default class, flagged."""
        if self.storage is None:
            return FALLBACK_STORAGE_NANO_USD_PER_GIB_MONTH, PriceSource.DEFAULT
        table = self.storage.per_gib_month_nano_usd
        price_class = self.storage.class_names.get(storage_class)
        source = PriceSource.CATALOG
        if price_class is None:
            price_class, source = self.storage.default_class, PriceSource.DEFAULT
        price = table.get((region, price_class))
        if price is None:
            price, source = table[self.base_region, price_class], PriceSource.DEFAULT
        return price, source

    def load_balancer_price(self, region: str) -> int:
        table = self.load_balancer_nano_usd_per_hour
        return table.get(region, table.get(self.base_region, 0))


@dataclass(frozen=True, slots=True)
class CustomUnitPrices:
    """Per-unit prices pinned by a custom price file, nano-USD per unit-hour (exact fractions:
    a per-month input is divided by 730 here, and the node's price is floored once)."""

    cpu_nano_usd_per_vcpu_hour: Fraction
    ram_nano_usd_per_gib_hour: Fraction
    gpu_nano_usd_per_gpu_hour: Fraction

    def __post_init__(self) -> None:
        if self.ram_nano_usd_per_gib_hour <= 0:
            msg = "the RAM price must be positive (it anchors the CPU:RAM:GPU split)"
            raise ValueError(msg)

    def node_hourly_nano_usd(self, node: Node) -> int:
        total = (
            self.cpu_nano_usd_per_vcpu_hour * node.cpu_capacity_millicores / MILLI
            + self.ram_nano_usd_per_gib_hour * node.memory_capacity_bytes / GIB
            + self.gpu_nano_usd_per_gpu_hour * node.gpu_count
        )
        return int(total)

    @property
    def ratios(self) -> SplitRatios:
        """The split these prices imply, so each resource is charged at its pinned price."""
        ram = self.ram_nano_usd_per_gib_hour
        return SplitRatios(
            self.cpu_nano_usd_per_vcpu_hour / ram, self.gpu_nano_usd_per_gpu_hour / ram
        )


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """A pinned node price: ``hourly_nano_usd`` or per-unit ``unit_prices`` (exactly one).

    Empty match fields match anything. Precedence: node name > node labels > instance type >
    none; ties go to more labels, then a cluster, then a capacity type; then to the first listed.
    """

    hourly_nano_usd: int | None = None
    instance_type: str = ""
    capacity_type: CapacityType | None = None
    cluster: str = ""
    node: str = ""
    node_labels: tuple[tuple[str, str], ...] = ()
    unit_prices: CustomUnitPrices | None = None

    def __post_init__(self) -> None:
        if (self.hourly_nano_usd is None) == (self.unit_prices is None):
            msg = "an override pins either hourly_nano_usd or unit_prices, not both or neither"
            raise ValueError(msg)

    @property
    def specificity(self) -> tuple[int, int, bool, bool]:
        kind = 3 if self.node else 2 if self.node_labels else 1 if self.instance_type else 0
        return kind, len(self.node_labels), bool(self.cluster), self.capacity_type is not None

    def matches(self, *, cluster: str, node: Node) -> bool:
        return (
            (not self.node or self.node == node.name)
            and (not self.cluster or self.cluster == cluster)
            and (not self.instance_type or self.instance_type == node.instance_type)
            and (self.capacity_type is None or self.capacity_type == node.capacity_type)
            and all(node.labels.get(key) == value for key, value in self.node_labels)
        )

    def price(self, node: Node, ratios: SplitRatios) -> tuple[int, SplitRatios]:
        """The node's hourly price and the split to use (a per-unit price implies its own)."""
        if self.unit_prices is not None:
            return self.unit_prices.node_hourly_nano_usd(node), self.unit_prices.ratios
        assert self.hourly_nano_usd is not None  # noqa: S101 - guaranteed by __post_init__
        return self.hourly_nano_usd, ratios


@dataclass(frozen=True, slots=True)
class Discount:
    """A negotiated discount off list prices for one cluster (``"*"``: every other cluster)."""

    cluster: str
    discount_bps: int
    applies_to: frozenset[PriceCategory]

    def __post_init__(self) -> None:
        if not 0 <= self.discount_bps < BPS_SCALE:
            msg = f"discount_bps must be in [0, {BPS_SCALE}), got {self.discount_bps}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class StorageOverride:
    """A pinned PV price for a StorageClass name (``cluster`` empty: every cluster)."""

    storage_class: str
    nano_usd_per_gib_month: int
    cluster: str = ""


@dataclass(frozen=True, slots=True)
class NodePrice:
    """A node's hourly price, where it came from, the discount applied and how to split it."""

    hourly_nano_usd: int
    source: PriceSource
    discount_bps: int = 0
    ratios: SplitRatios = field(default_factory=SplitRatios)


class NodePricer(Protocol):
    """What the cost engine needs from a cost model (entry-point group ``kubeopt.cost_models``;
    the built-in ``catalog`` model is :class:`~kubeopt_costing.domain.price_book.PriceBook`)."""

    @property
    def ratios(self) -> SplitRatios: ...

    def node_price(
        self, *, cluster: str, provider: Provider, region: str, node: Node
    ) -> NodePrice: ...

    def pv_nano_usd_per_gib_hour(
        self, *, cluster: str, provider: Provider, region: str, storage_class: str
    ) -> tuple[int, PriceSource]: ...

    def pv_nano_usd_per_gib_month(
        self, *, cluster: str, provider: Provider, region: str, storage_class: str
    ) -> tuple[int, PriceSource]: ...

    def lb_nano_usd_per_hour(self, *, cluster: str, provider: Provider, region: str) -> int: ...

    def cluster_fee_nano_usd_per_hour(self, *, cluster: str, provider: Provider) -> int: ...

    def discount_bps(self, *, cluster: str, category: PriceCategory) -> int: ...


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
