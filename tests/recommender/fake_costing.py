"""A stand-in for costing's ``kubeopt.v1.pricing.query`` answer (the real request/reply contract).

On-demand nodes cost 0.20 $/h (spot 0.06 $/h), split 0.03 $ per vCPU-hour and 0.004 $ per
GiB-hour; any region other than us-east-1 costs twice as much (so region moves have a cost).
"""

from __future__ import annotations

from kubeopt_common.events import CapacityType
from kubeopt_common.queries import NodePriceQuote, NodePriceReply, NodePriceRequest


class FakeCosting:
    ON_DEMAND_NANO = 200_000_000
    SPOT_NANO = 60_000_000
    CPU_NANO = 30_000_000
    RAM_NANO = 4_000_000

    def __init__(self) -> None:
        self.requests = 0

    async def answer(self, request: NodePriceRequest) -> NodePriceReply:
        self.requests += 1
        factor = 1 if request.region == "us-east-1" else 2
        quotes = []
        for node in request.nodes:
            spot = node.capacity_type is CapacityType.SPOT
            ratio = self.SPOT_NANO / self.ON_DEMAND_NANO if spot else 1.0
            quotes.append(
                NodePriceQuote(
                    node=node.name,
                    instance_type=node.instance_type,
                    hourly_nano_usd=(self.SPOT_NANO if spot else self.ON_DEMAND_NANO) * factor,
                    on_demand_hourly_nano_usd=self.ON_DEMAND_NANO * factor,
                    spot_hourly_nano_usd=self.SPOT_NANO * factor,
                    cpu_nano_usd_per_vcpu_hour=round(self.CPU_NANO * factor * ratio),
                    ram_nano_usd_per_gib_hour=round(self.RAM_NANO * factor * ratio),
                    gpu_nano_usd_per_gpu_hour=0,
                    source="catalog",
                )
            )
        return NodePriceReply(quotes=tuple(quotes))
