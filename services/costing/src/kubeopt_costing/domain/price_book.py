"""The built-in cost model (``catalog``): list prices, pinned overrides and discounts.

The conventions of :mod:`kubeopt_costing.domain.pricing` hold here: 730-hour months, discounts as
``floor(list × (10000 − bps) / 10000)``, every rounding a floor to one nano-USD.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from kubeopt_common.events import CapacityType, Node, Provider
from kubeopt_costing.domain.pricing import (
    ALL_CLUSTERS,
    GIB,
    MILLI,
    Discount,
    NodePrice,
    PriceCategory,
    PriceOverride,
    PriceSource,
    ProviderCatalog,
    SplitRatios,
    StorageOverride,
    UnitPrices,
    apply_discount,
    per_hour_from_per_month,
)


@dataclass(frozen=True, slots=True)
class PriceBook:
    """Everything needed to price a cluster: catalogs per provider and a custom price file.

    ``load_balancer_overrides`` and ``cluster_fee_overrides`` map a cluster ("" for every
    cluster) to a pinned nano-USD per hour. ``ratios`` is the split of last resort; each
    :class:`NodePrice` carries the split that belongs to it.
    """

    catalogs: Mapping[Provider, ProviderCatalog]
    overrides: Sequence[PriceOverride] = ()
    ratios: SplitRatios = field(default_factory=SplitRatios)
    discounts: Sequence[Discount] = ()
    storage_overrides: Sequence[StorageOverride] = ()
    load_balancer_overrides: Mapping[str, int] = field(default_factory=dict)
    cluster_fee_overrides: Mapping[str, int] = field(default_factory=dict)
    # Prices of nodes already seen: a node costs the same every window.
    _memo: dict[tuple[object, ...], NodePrice] = field(default_factory=dict, compare=False)
    _discount_table: dict[tuple[str, PriceCategory], int] = field(init=False, compare=False)
    _label_keys: tuple[str, ...] = field(init=False, compare=False)
    _gpu_label_keys: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        table: dict[tuple[str, PriceCategory], int] = {}
        for discount in self.discounts:
            for category in discount.applies_to:
                table.setdefault((discount.cluster, category), discount.discount_bps)
        labels = sorted({key for o in self.overrides for key, _ in o.node_labels})
        gpu_labels = sorted({c.accelerator_label for c in self.catalogs.values()} - {""})
        object.__setattr__(self, "_discount_table", table)
        object.__setattr__(self, "_label_keys", tuple(labels))
        object.__setattr__(self, "_gpu_label_keys", tuple(gpu_labels))

    def node_price(self, *, cluster: str, provider: Provider, region: str, node: Node) -> NodePrice:
        """Hourly price of ``node``: override, else discounted list price, else flagged default."""
        gpus = node.gpu_count
        key: tuple[object, ...] = (
            cluster,
            provider,
            region,
            node.name,
            node.instance_type,
            node.capacity_type,
            node.cpu_capacity_millicores,
            node.memory_capacity_bytes,
            gpus,
        )
        # Labels change the price only through label overrides and attached-GPU models.
        if self._label_keys or (gpus and self._gpu_label_keys):
            keys = (*self._label_keys, *self._gpu_label_keys) if gpus else self._label_keys
            key += tuple(map(node.labels.get, keys))
        price = self._memo.get(key)
        if price is None:
            if len(self._memo) > 100_000:
                self._memo.clear()
            price = self._memo[key] = self._lookup(
                cluster=cluster, provider=provider, region=region, node=node
            )
        return price

    def _lookup(self, *, cluster: str, provider: Provider, region: str, node: Node) -> NodePrice:
        catalog = self._catalog(provider)
        override = _best_override(self.overrides, cluster=cluster, node=node)
        if override is not None:
            hourly, ratios = override.price(node, catalog.ratios)
            return NodePrice(hourly, PriceSource.OVERRIDE, 0, ratios)
        hourly, source = _list_price(catalog, region=region, node=node)
        bps = self.discount_bps(cluster=cluster, category=PriceCategory.COMPUTE)
        return NodePrice(apply_discount(hourly, bps), source, bps, catalog.ratios)

    def _catalog(self, provider: Provider) -> ProviderCatalog:
        catalog = self.catalogs.get(provider)
        return catalog if catalog is not None else self.catalogs[Provider.ONPREM]

    def discount_bps(self, *, cluster: str, category: PriceCategory) -> int:
        """The discount (basis points) on ``category`` list prices in ``cluster``; 0 if none."""
        table = self._discount_table
        return table.get((cluster, category), table.get((ALL_CLUSTERS, category), 0))

    def pv_nano_usd_per_gib_month(
        self, *, cluster: str, provider: Provider, region: str, storage_class: str
    ) -> tuple[int, PriceSource]:
        """PV price per GiB-month of ``storage_class``, discounted; an unknown class is priced
        as the provider's default class and flagged ``default``."""
        pinned = self._storage_override(cluster, storage_class)
        if pinned is not None:
            return pinned, PriceSource.OVERRIDE
        listed, source = self._catalog(provider).storage_price(region, storage_class)
        bps = self.discount_bps(cluster=cluster, category=PriceCategory.STORAGE)
        return apply_discount(listed, bps), source

    def pv_nano_usd_per_gib_hour(
        self, *, cluster: str, provider: Provider, region: str, storage_class: str
    ) -> tuple[int, PriceSource]:
        """PV price per GiB-hour: the list price per GiB-month ÷ 730 (floored), then discounted.

        For exact window costs prefer :meth:`pv_nano_usd_per_gib_month` with
        :func:`storage_cost_nano_usd` (one floor instead of two).
        """
        pinned = self._storage_override(cluster, storage_class)
        if pinned is not None:
            return per_hour_from_per_month(pinned), PriceSource.OVERRIDE
        listed, source = self._catalog(provider).storage_price(region, storage_class)
        bps = self.discount_bps(cluster=cluster, category=PriceCategory.STORAGE)
        return apply_discount(per_hour_from_per_month(listed), bps), source

    def _storage_override(self, cluster: str, storage_class: str) -> int | None:
        best: StorageOverride | None = None
        # A cluster's own price beats the every-cluster one.
        for o in self.storage_overrides:
            if (
                o.storage_class == storage_class
                and o.cluster in ("", cluster)
                and (best is None or (o.cluster and not best.cluster))
            ):
                best = o
        return None if best is None else best.nano_usd_per_gib_month

    def lb_nano_usd_per_hour(self, *, cluster: str, provider: Provider, region: str) -> int:
        """Hourly price of one load balancer (a Service of type LoadBalancer), discounted."""
        pinned = self.load_balancer_overrides.get(cluster, self.load_balancer_overrides.get(""))
        if pinned is not None:
            return pinned
        listed = self._catalog(provider).load_balancer_price(region)
        return apply_discount(
            listed, self.discount_bps(cluster=cluster, category=PriceCategory.LOAD_BALANCER)
        )

    def cluster_fee_nano_usd_per_hour(self, *, cluster: str, provider: Provider) -> int:
        """Hourly management fee of the cluster's control plane (EKS/GKE/AKS), discounted."""
        pinned = self.cluster_fee_overrides.get(cluster, self.cluster_fee_overrides.get(""))
        if pinned is not None:
            return pinned
        listed = self._catalog(provider).cluster_fee_nano_usd_per_hour
        return apply_discount(
            listed, self.discount_bps(cluster=cluster, category=PriceCategory.CLUSTER_FEE)
        )


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


def _list_price(catalog: ProviderCatalog, *, region: str, node: Node) -> tuple[int, PriceSource]:
    """Undiscounted hourly list price: catalog (base region if the region is unknown, flagged),
    plus attached GPUs beyond those the listing includes; else per-unit defaults, flagged."""
    spot = node.capacity_type is CapacityType.SPOT
    found = catalog.listing(region, node.instance_type)
    hourly = None if found is None else found[0].hourly(spot=spot)
    if found is None or hourly is None:
        return _default_price(catalog.defaults, node, spot=spot), PriceSource.DEFAULT
    listed, source = found
    extra_gpus = node.gpu_count - listed.gpu_count
    if extra_gpus > 0:
        gpu = catalog.accelerators.get(node.labels.get(catalog.accelerator_label, ""))
        gpu_hourly = None if gpu is None else gpu.hourly(spot=spot)
        if gpu_hourly is None:
            units = catalog.defaults
            gpu_hourly = (
                units.spot_gpu_nano_usd_per_gpu_hour if spot else units.gpu_nano_usd_per_gpu_hour
            )
            source = PriceSource.DEFAULT
        hourly += extra_gpus * gpu_hourly
    return hourly, source


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
