"""Prices from costing over a real nats-server: quotes, the per-node cache, degradation."""

from __future__ import annotations

from nats.aio.client import Client

from kubeopt_common.bus.queries import ask
from kubeopt_common.events import CapacityType, Provider
from kubeopt_common.queries import NodePriceReply, NodePriceRequest, QuerySubject
from kubeopt_recommender.prices import PriceBook
from tests.builders import make_node
from tests.recommender.fake_costing import FakeCosting


def book(nc: Client, *, timeout_s: float = 2.0) -> PriceBook:
    async def asker(request: NodePriceRequest) -> NodePriceReply:
        return await ask(nc, QuerySubject.NODE_PRICES, request, NodePriceReply, timeout_s=timeout_s)

    return PriceBook(asker, ttl_s=3600)


async def test_quotes_are_cached_per_node(nc: Client, costing: FakeCosting) -> None:
    prices = book(nc)
    nodes = [make_node(name="a"), make_node(name="b", capacity_type=CapacityType.SPOT)]
    first = await prices.quotes(
        cluster="c1", provider=Provider.AWS, region="us-east-1", nodes=nodes
    )
    assert first.priced
    assert set(first.quotes) == {"a", "b"}
    assert first.quotes["a"].cpu_nano_usd_per_vcpu_hour == FakeCosting.CPU_NANO
    assert first.quotes["b"].hourly_nano_usd == first.quotes["b"].spot_hourly_nano_usd
    again = await prices.quotes(
        cluster="c1", provider=Provider.AWS, region="us-east-1", nodes=nodes
    )
    assert again.quotes == first.quotes
    assert costing.requests == 1
    other = await prices.quotes(
        cluster="c1", provider=Provider.AWS, region="eu-north-1", nodes=nodes[:1]
    )
    assert other.quotes["a"].on_demand_hourly_nano_usd == FakeCosting.ON_DEMAND_NANO * 2
    assert costing.requests == 2


async def test_unreachable_costing_is_a_status_not_an_error(nc: Client, unique: str) -> None:
    async def nobody(request: NodePriceRequest) -> NodePriceReply:
        subject = QuerySubject.NODE_PRICES
        return await ask(nc, subject, request, NodePriceReply, timeout_s=0.2)

    prices = PriceBook(nobody, ttl_s=3600)
    lookup = await prices.quotes(
        cluster=f"c-{unique}", provider=Provider.AWS, region="us-east-1", nodes=[make_node()]
    )
    assert not lookup.priced
    assert lookup.status.startswith("unavailable: ")
    assert lookup.quotes == {}
