"""Answering ``kubeopt.v1.pricing.query``: node prices as costing prices them (pure)."""

from __future__ import annotations

from kubeopt_common.events import CapacityType, Node
from kubeopt_common.queries import NodePriceQuote, NodePriceReply, NodePriceRequest
from kubeopt_costing.domain.pricing import GIB, MILLI, NodePricer, split_node_cost


def quote(pricer: NodePricer, request: NodePriceRequest) -> NodePriceReply:
    return NodePriceReply(quotes=tuple(_quote(pricer, request, node) for node in request.nodes))


def _quote(pricer: NodePricer, request: NodePriceRequest, node: Node) -> NodePriceQuote:
    def price_as(capacity: CapacityType) -> int:
        as_node = (
            node
            if node.capacity_type is capacity
            else node.model_copy(update={"capacity_type": capacity})
        )
        return pricer.node_price(
            cluster=request.cluster, provider=request.provider, region=request.region, node=as_node
        ).hourly_nano_usd

    current = pricer.node_price(
        cluster=request.cluster, provider=request.provider, region=request.region, node=node
    )
    hourly = split_node_cost(current.hourly_nano_usd, node, current.ratios)
    return NodePriceQuote(
        node=node.name,
        instance_type=node.instance_type,
        hourly_nano_usd=current.hourly_nano_usd,
        on_demand_hourly_nano_usd=price_as(CapacityType.ON_DEMAND),
        spot_hourly_nano_usd=price_as(CapacityType.SPOT),
        cpu_nano_usd_per_vcpu_hour=hourly.cpu_nano_usd * MILLI // node.cpu_capacity_millicores,
        ram_nano_usd_per_gib_hour=hourly.ram_nano_usd * GIB // node.memory_capacity_bytes,
        gpu_nano_usd_per_gpu_hour=hourly.gpu_nano_usd // node.gpu_count if node.gpu_count else 0,
        source=current.source.value,
    )
