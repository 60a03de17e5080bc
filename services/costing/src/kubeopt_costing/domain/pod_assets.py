"""Costs outside the node that pods carry: persistent volume claims and load balancer shares.

A claim costs its requested size at its storage class's price per GiB-month; a ``LoadBalancer``
Service costs its hourly price. Both are priced once per window and split evenly over the pods
sharing them, the remainder going to the pod of rank 0 — so over all sharers the shares add up
to the asset's window cost exactly. They are added on top of the node's cost (they are not part
of it), so a node's rows still satisfy Σ CPU/RAM/GPU cost + idle == node cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubeopt_common.events import AssetKind, PodAsset, Provider
from kubeopt_costing.domain.pricing import NodePricer, storage_cost_nano_usd, window_cost


def even_share(amount: int, sharers: int, rank: int) -> int:
    """Rank ``rank``'s part of ``amount`` split over ``sharers`` (rank 0 takes the remainder)."""
    share, rest = divmod(amount, sharers)
    return share + rest if rank == 0 else share


@dataclass(frozen=True, slots=True)
class AssetCharge:
    """What one asset adds to the row at ``row`` (an index into the node's rows)."""

    row: int
    pv_bytes: int = 0
    pv_cost_nano_usd: int = 0
    lb_cost_nano_usd: int = 0


@dataclass(slots=True)
class AssetPricer:
    """Prices pod assets for one cluster; caches the storage-class and LB prices it looked up."""

    book: NodePricer
    cluster: str
    provider: Provider
    region: str
    _pv_prices: dict[str, int] = field(default_factory=dict)
    _lb_price: int | None = None

    def charges(self, assets: Sequence[PodAsset], window_seconds: int) -> list[AssetCharge]:
        return [self._charge(asset, window_seconds) for asset in assets]

    def _charge(self, asset: PodAsset, seconds: int) -> AssetCharge:
        if asset.kind is AssetKind.LOAD_BALANCER:
            cost = window_cost(self._lb_hourly(), seconds)
            return AssetCharge(
                asset.container, lb_cost_nano_usd=even_share(cost, asset.sharers, asset.rank)
            )
        cost = storage_cost_nano_usd(
            nano_usd_per_gib_month=self._pv_monthly(asset.storage_class),
            size_bytes=asset.size_bytes,
            seconds=seconds,
        )
        return AssetCharge(
            asset.container,
            pv_bytes=even_share(asset.size_bytes, asset.sharers, asset.rank),
            pv_cost_nano_usd=even_share(cost, asset.sharers, asset.rank),
        )

    def _pv_monthly(self, storage_class: str) -> int:
        price = self._pv_prices.get(storage_class)
        if price is None:
            price, _ = self.book.pv_nano_usd_per_gib_month(
                cluster=self.cluster,
                provider=self.provider,
                region=self.region,
                storage_class=storage_class,
            )
            self._pv_prices[storage_class] = price
        return price

    def _lb_hourly(self) -> int:
        if self._lb_price is None:
            self._lb_price = self.book.lb_nano_usd_per_hour(
                cluster=self.cluster, provider=self.provider, region=self.region
            )
        return self._lb_price
