"""Node prices from costing (``kubeopt.v1.pricing.query``), cached per node.

Costing owns the price catalog; the recommender only asks. Quotes are cached for ``ttl_s`` per
(cluster, provider, region, node, instance type, capacity type), so a run asks once for the
nodes it has not priced lately. When costing cannot answer, the lookup says so in ``status``
and the caller degrades (savings left at 0 and marked unpriced) instead of failing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from nats.errors import Error as NatsError
from pydantic import ValidationError

from kubeopt_common.bus.queries import QueryError
from kubeopt_common.events import Node, Provider
from kubeopt_common.queries import NodePriceQuote, NodePriceReply, NodePriceRequest
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_recommender.domain.money import UnitPrices

log = get_logger(__name__)
Asker = Callable[[NodePriceRequest], Awaitable[NodePriceReply]]
PRICED = "costing"
MAX_NODES_PER_QUERY = 5000
_CacheKey = tuple[str, str, str, str, str, str]


def unit_prices(quote: NodePriceQuote) -> UnitPrices:
    return UnitPrices(
        cpu_nano_usd_per_vcpu_hour=quote.cpu_nano_usd_per_vcpu_hour,
        ram_nano_usd_per_gib_hour=quote.ram_nano_usd_per_gib_hour,
        gpu_nano_usd_per_gpu_hour=quote.gpu_nano_usd_per_gpu_hour,
    )


@dataclass
class PriceLookup:
    """Quotes by node name; ``status`` is ``"costing"`` or ``"unavailable: <why>"``."""

    quotes: dict[str, NodePriceQuote] = field(default_factory=dict)
    status: str = PRICED

    @property
    def priced(self) -> bool:
        return self.status == PRICED


class PriceBook:
    def __init__(
        self,
        ask: Asker,
        *,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ask = ask
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[_CacheKey, tuple[float, NodePriceQuote]] = {}

    @staticmethod
    def _key(cluster: str, provider: Provider, region: str, node: Node) -> _CacheKey:
        return (
            cluster,
            provider.value,
            region,
            node.name,
            node.instance_type,
            node.capacity_type.value,
        )

    async def quotes(
        self, *, cluster: str, provider: Provider, region: str, nodes: Sequence[Node]
    ) -> PriceLookup:
        """Prices of ``nodes`` (as if they ran in ``region``); cached ones are not re-asked."""
        lookup = PriceLookup()
        now = self._clock()
        missing: list[Node] = []
        for node in nodes:
            cached = self._cache.get(self._key(cluster, provider, region, node))
            if cached is not None and now - cached[0] < self._ttl_s:
                lookup.quotes[node.name] = cached[1]
            else:
                missing.append(node)
        for start in range(0, len(missing), MAX_NODES_PER_QUERY):
            chunk = tuple(missing[start : start + MAX_NODES_PER_QUERY])
            request = NodePriceRequest(
                cluster=cluster, provider=provider, region=region, nodes=chunk
            )
            try:
                reply = await self._ask(request)
            except (QueryError, NatsError, OSError, TimeoutError, ValidationError) as err:
                lookup.status = f"unavailable: {err}"
                log.warning("recommender.prices_unavailable", cluster=cluster, error=str(err))
                break
            by_name = {n.name: n for n in chunk}
            for quote in reply.quotes:
                lookup.quotes[quote.node] = quote
                asked = by_name.get(quote.node)
                if asked is not None:
                    self._cache[self._key(cluster, provider, region, asked)] = (now, quote)
        return lookup
