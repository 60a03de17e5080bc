"""Network cost: classify each flow by where its real endpoints are, then price it per provider.

Bytes in, integer nano-USD out. Providers bill per *unit*: AWS and Azure per GB (10^9 bytes),
GCP per GiB (2^30 bytes); the unit is part of the price data (``unit_bytes``), so a price is
never applied to the wrong unit. Rounding is to the nearest nano-USD (half up).

Classification uses the zone and region of the *real* endpoints, i.e. the pods or nodes the
collector resolved (never a Service IP, which is what makes Kubecost count ClusterIP traffic as
in-zone: kubecost#2464, #3720):

* in the cluster (``external=False``): the endpoint's own zone and region;
* outside, with an address in ``private_cidrs``: inside our network, so it is classified like
  an internal endpoint with the region it carries (the cluster's region when it has none) and
  its zone if known;
* outside, public address, known cloud region: another cloud endpoint. A different region is
  ``cross_region``; the same region is ``cross_zone`` (AWS bills in-region public/Elastic IP
  traffic like cross-AZ traffic);
* anything else: ``internet``.

A zone that is not known is never assumed to be the same zone: only two equal known zones (or,
without zone labels, the same node) make a flow ``in_zone``. Kubecost's network-costs daemonset
ships ``10.0.0.0/8`` (and the other RFC 1918 ranges) as *in-zone* by default, with the note
"remove if using Multi-AZ", so every cross-AZ pod-to-pod byte of a VPC-CNI cluster is priced
at $0 (kubecost#820, #3819).
Here a private address says only that the peer is inside our network, never which zone.

Pricing (egress of the sending workload; see ``price_flows``):

* ``in_zone``: free.
* ``cross_zone``: the sender's side, plus the receiver's side where the provider bills it (AWS:
  $0.01/GB out *and* $0.01/GB in) when the receiver is one of this cluster's nodes; both
  halves go to the sender, kept apart in ``transfer_nano_usd`` and ``receiver_side_nano_usd``.
* ``cross_region``: by (source region, destination region), a flagged default for unknown pairs.
* ``internet``: tiered by the cluster's monthly internet egress volume (month-to-date in, new
  month-to-date out), so a flow that crosses a tier boundary is split across the tiers.
* NAT gateway processing, per byte, on top of the above when ``via_nat_gateway``.
* Ingress (the sender is outside the cluster) is free on all three clouds, except the
  receiver's side of AWS cross-AZ traffic and NAT processing, which the receiving node pays.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, TypeAlias

from kubeopt_common.events import Endpoint, Flow, Provider
from kubeopt_costing.domain.pricing import PriceSource

IpNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

GB: Final = 10**9
GIB: Final = 2**30
ANY_GEOGRAPHY: Final = "*"


class FlowClass(StrEnum):
    IN_ZONE = "in_zone"
    CROSS_ZONE = "cross_zone"
    CROSS_REGION = "cross_region"
    INTERNET = "internet"


def parse_cidrs(texts: Iterable[str]) -> tuple[IpNetwork, ...]:
    """``["10.0.0.0/8", "fd00::/8"]`` → networks; a bad entry raises ``ValueError`` naming it."""
    networks: list[IpNetwork] = []
    for text in texts:
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=True))
        except ValueError as err:
            msg = f"private CIDR {text!r}: {err}"
            raise ValueError(msg) from err
    return tuple(networks)


# RFC 1918, RFC 6598 shared address space (100.64/10: EKS custom networking, GKE, carrier NAT),
# IPv4 and IPv6 link-local, and IPv6 unique-local addresses.
DEFAULT_PRIVATE_CIDRS: Final = parse_cidrs(
    (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    )
)


@dataclass(frozen=True, slots=True)
class InternetTier:
    """The price of a month's internet egress volume up to ``up_to_bytes`` (None: no bound)."""

    up_to_bytes: int | None
    nano_usd_per_unit: int


@dataclass(frozen=True, slots=True)
class ProviderNetworkPrices:
    """One provider's transfer prices, nano-USD per billing unit of ``unit_bytes`` bytes.

    Cross-region rates are looked up by exact region pair, then by (source geography,
    destination geography), then by (source geography, ``"*"``); else the default, flagged.
    """

    provider: Provider
    source: str
    as_of: str
    unit_bytes: int
    cross_zone_sender_nano_usd_per_unit: int
    cross_zone_receiver_nano_usd_per_unit: int
    cross_region_default_nano_usd_per_unit: int
    geographies: Mapping[str, str]
    geography_rates: Mapping[tuple[str, str], int]
    pair_rates: Mapping[tuple[str, str], int]
    internet_tiers: Mapping[str, tuple[InternetTier, ...]]
    internet_default_tiers: tuple[InternetTier, ...]
    nat_default_nano_usd_per_unit: int
    nat_by_region: Mapping[str, int]

    def cross_region_rate(self, src_region: str, dst_region: str) -> tuple[int, PriceSource]:
        pair = self.pair_rates.get((src_region, dst_region))
        if pair is not None:
            return pair, PriceSource.CATALOG
        src_geo = self.geographies.get(src_region)
        if src_geo is not None:
            dst_geo = self.geographies.get(dst_region, ANY_GEOGRAPHY)
            for key in ((src_geo, dst_geo), (src_geo, ANY_GEOGRAPHY)):
                rate = self.geography_rates.get(key)
                if rate is not None:
                    return rate, PriceSource.CATALOG
        return self.cross_region_default_nano_usd_per_unit, PriceSource.DEFAULT

    def internet_tiers_for(self, region: str) -> tuple[tuple[InternetTier, ...], PriceSource]:
        tiers = self.internet_tiers.get(region)
        if tiers is None:
            return self.internet_default_tiers, PriceSource.DEFAULT
        return tiers, PriceSource.CATALOG

    def nat_rate(self, region: str) -> tuple[int, PriceSource]:
        rate = self.nat_by_region.get(region)
        if rate is None:
            return self.nat_default_nano_usd_per_unit, PriceSource.DEFAULT
        return rate, PriceSource.CATALOG


@dataclass(frozen=True, slots=True)
class NetworkPrices:
    """Transfer prices of every provider (loaded by ``network_catalog.load_network_prices``)."""

    providers: Mapping[Provider, ProviderNetworkPrices]

    def for_provider(self, provider: Provider) -> ProviderNetworkPrices:
        try:
            return self.providers[provider]
        except KeyError:
            msg = f"no network prices for provider {provider}"
            raise ValueError(msg) from None


@dataclass(frozen=True, slots=True)
class PricedFlow:
    """One flow's cost in nano-USD, attributed to its sender (``flow.src``).

    ``total = transfer + receiver_side + nat``. ``ingress`` is True when the sender is outside
    the cluster: nothing is charged for the transfer, and what remains (AWS cross-AZ receiver
    side, NAT processing) is paid by the receiving node, so such a row belongs to ``flow.dst``.
    ``price_source`` is ``default`` when any rate used was a provider default rather than a
    listed price for this region or region pair.
    """

    flow_class: FlowClass
    bytes_sent: int
    transfer_nano_usd: int
    receiver_side_nano_usd: int
    nat_nano_usd: int
    total_nano_usd: int
    price_source: PriceSource
    ingress: bool


def internet_cost_nano_usd(
    tiers: Sequence[InternetTier], *, unit_bytes: int, volume_bytes: int
) -> int:
    """The cost of the first ``volume_bytes`` of a month's internet egress, in nano-USD.

    Each byte is priced at the tier its position in the month falls in; the result is rounded
    once, so the cost of a flow (the difference of two volumes) telescopes exactly.
    """
    numerator, low = 0, 0
    for tier in tiers:
        high = volume_bytes if tier.up_to_bytes is None else min(volume_bytes, tier.up_to_bytes)
        if high > low:
            numerator += (high - low) * tier.nano_usd_per_unit
        if tier.up_to_bytes is None or tier.up_to_bytes >= volume_bytes:
            break
        low = tier.up_to_bytes
    return (numerator + unit_bytes // 2) // unit_bytes


class _PrivateAddresses:
    """``ip in any(private_cidrs)``, cached per IP string: a batch repeats the same peers."""

    def __init__(self, cidrs: Sequence[IpNetwork]) -> None:
        self._cidrs = tuple(cidrs)
        self._cache: dict[str, bool] = {}

    def __contains__(self, ip: str) -> bool:
        hit = self._cache.get(ip)
        if hit is None:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                hit = False
            else:
                hit = any(address in network for network in self._cidrs)
            self._cache[ip] = hit
        return hit


@dataclass(frozen=True, slots=True)
class _Place:
    region: str
    zone: str
    node: str
    public: bool


def _place(endpoint: Endpoint, private: _PrivateAddresses, cluster_region: str) -> _Place | None:
    """Where an endpoint is; None for the internet."""
    if not endpoint.external:
        return _Place(endpoint.region or cluster_region, endpoint.zone, endpoint.node, False)
    if endpoint.ip in private:
        return _Place(endpoint.region or cluster_region, endpoint.zone, "", False)
    if endpoint.region:
        return _Place(endpoint.region, "", "", True)
    return None


def _classify(flow: Flow, private: _PrivateAddresses, cluster_region: str) -> FlowClass:
    src = _place(flow.src, private, cluster_region)
    dst = _place(flow.dst, private, cluster_region)
    if src is None or dst is None:
        return FlowClass.INTERNET
    if src.region and dst.region and src.region != dst.region:
        return FlowClass.CROSS_REGION
    if src.public or dst.public:
        return FlowClass.CROSS_ZONE
    if src.zone and dst.zone:
        return FlowClass.IN_ZONE if src.zone == dst.zone else FlowClass.CROSS_ZONE
    # A node sits in one zone, so the same node is in-zone even without zone labels.
    return FlowClass.IN_ZONE if src.node and src.node == dst.node else FlowClass.CROSS_ZONE


def classify(
    flow: Flow,
    *,
    private_cidrs: Sequence[IpNetwork] = DEFAULT_PRIVATE_CIDRS,
    region: str = "",
) -> FlowClass:
    """The class of ``flow`` (see the module docstring for the rules).

    ``region`` is the cluster's region, assumed for endpoints inside our network that carry
    none. For many flows use ``price_flows``, which caches the CIDR test per IP.
    """
    return _classify(flow, _PrivateAddresses(private_cidrs), region)


class _BatchPricer:
    """Prices one batch of one cluster in order, carrying the month-to-date internet volume."""

    def __init__(
        self,
        table: ProviderNetworkPrices,
        *,
        region: str,
        private_cidrs: Sequence[IpNetwork],
        internet_bytes: int,
    ) -> None:
        self.table, self.region = table, region
        self.private = _PrivateAddresses(private_cidrs)
        self.tiers, self.tiers_source = table.internet_tiers_for(region)
        self.nat_rate, self.nat_source = table.nat_rate(region)
        self.internet_bytes = internet_bytes
        self._internet_cost = self._month_cost(internet_bytes)

    def _month_cost(self, volume_bytes: int) -> int:
        return internet_cost_nano_usd(
            self.tiers, unit_bytes=self.table.unit_bytes, volume_bytes=volume_bytes
        )

    def _per_unit(self, bytes_: int, nano_usd_per_unit: int) -> int:
        unit = self.table.unit_bytes
        return (bytes_ * nano_usd_per_unit + unit // 2) // unit

    def _internet(self, bytes_: int) -> int:
        self.internet_bytes += bytes_
        before, self._internet_cost = self._internet_cost, self._month_cost(self.internet_bytes)
        return self._internet_cost - before

    def _transfer(self, flow: Flow, flow_class: FlowClass) -> tuple[int, int, PriceSource]:
        """(sender side, receiver side, source) of the transfer itself."""
        table, size = self.table, flow.bytes_sent
        if flow_class is FlowClass.CROSS_ZONE:
            sender_rate = 0 if flow.src.external else table.cross_zone_sender_nano_usd_per_unit
            receiver_rate = 0 if flow.dst.external else table.cross_zone_receiver_nano_usd_per_unit
            sides = self._per_unit(size, sender_rate), self._per_unit(size, receiver_rate)
            return sides[0], sides[1], PriceSource.CATALOG
        if flow.src.external or flow_class is FlowClass.IN_ZONE:
            return 0, 0, PriceSource.CATALOG
        if flow_class is FlowClass.CROSS_REGION:
            src_region = flow.src.region or self.region
            rate, source = table.cross_region_rate(src_region, flow.dst.region)
            return self._per_unit(size, rate), 0, source
        return self._internet(size), 0, self.tiers_source

    def price(self, flow: Flow) -> PricedFlow:
        flow_class = _classify(flow, self.private, self.region)
        transfer, receiver, source = self._transfer(flow, flow_class)
        nat = 0
        if flow.via_nat_gateway:
            nat = self._per_unit(flow.bytes_sent, self.nat_rate)
            if self.nat_source is PriceSource.DEFAULT:
                source = PriceSource.DEFAULT
        return PricedFlow(
            flow_class=flow_class,
            bytes_sent=flow.bytes_sent,
            transfer_nano_usd=transfer,
            receiver_side_nano_usd=receiver,
            nat_nano_usd=nat,
            total_nano_usd=transfer + receiver + nat,
            price_source=source,
            ingress=flow.src.external,
        )


def price_flows(
    prices: NetworkPrices,
    *,
    provider: Provider,
    region: str,
    flows: Sequence[Flow],
    internet_bytes_month_to_date: int,
    private_cidrs: Sequence[IpNetwork] = DEFAULT_PRIVATE_CIDRS,
) -> tuple[list[PricedFlow], int]:
    """Price one cluster's flows: ``(priced flows in input order, new month-to-date bytes)``.

    ``region`` is the cluster's region (internet tiers and NAT rate are the source region's).
    ``internet_bytes_month_to_date`` is the internet egress already priced for this cluster in
    the calendar month of the batch; internet flows take the next positions in the month's
    volume in input order, and the returned total is what the next batch must pass in. Only
    egress (a sender inside the cluster) counts toward it. Raises ``ValueError`` for a negative
    month-to-date volume or a provider without network prices.
    """
    if internet_bytes_month_to_date < 0:
        msg = f"internet_bytes_month_to_date must be >= 0, got {internet_bytes_month_to_date}"
        raise ValueError(msg)
    pricer = _BatchPricer(
        prices.for_provider(provider),
        region=region,
        private_cidrs=private_cidrs,
        internet_bytes=internet_bytes_month_to_date,
    )
    priced = [pricer.price(flow) for flow in flows]
    return priced, pricer.internet_bytes
