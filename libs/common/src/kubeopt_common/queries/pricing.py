"""``kubeopt.v1.pricing.query``: the hourly prices costing uses for some nodes.

Answered by costing with its configured cost model (catalog, custom prices, discounts), so a
recommender's savings use exactly the prices costing attributes with.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kubeopt_common.events.envelope import Contract, Name, NonNegativeInt
from kubeopt_common.events.inventory import Node, Provider


class NodePriceRequest(Contract):
    cluster: Name
    provider: Provider
    region: str
    nodes: tuple[Node, ...] = Field(min_length=1, max_length=5000)


class NodePriceQuote(Contract):
    """Prices of one node, nano-USD per hour; unit prices from the node's CPU/RAM/GPU split."""

    node: Name
    instance_type: Name
    hourly_nano_usd: NonNegativeInt = Field(description="What the node costs as it runs now")
    on_demand_hourly_nano_usd: NonNegativeInt
    spot_hourly_nano_usd: NonNegativeInt
    cpu_nano_usd_per_vcpu_hour: NonNegativeInt
    ram_nano_usd_per_gib_hour: NonNegativeInt
    gpu_nano_usd_per_gpu_hour: NonNegativeInt
    source: Literal["catalog", "override", "default"]


class NodePriceReply(Contract):
    quotes: tuple[NodePriceQuote, ...] = ()
    error: str = Field(default="", description="Why the request was refused (then no quotes)")
