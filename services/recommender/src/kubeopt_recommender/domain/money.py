"""Monthly cost of requested resources at a node's unit prices (nano-USD, integers).

A container is billed for what it *requests*: freeing requested capacity is what lets nodes be
consolidated (the honest caveat every vendor repeats: savings are realised when the freed
capacity is removed). Unit prices are costing's per-vCPU-hour and per-GiB-hour split of the
node price (:class:`kubeopt_common.queries.NodePriceQuote`).
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_MONTH = 730
MILLI = 1000
GIB = 2**30


@dataclass(frozen=True, slots=True)
class UnitPrices:
    """nano-USD per vCPU-hour, per GiB-hour and per GPU-hour."""

    cpu_nano_usd_per_vcpu_hour: int
    ram_nano_usd_per_gib_hour: int
    gpu_nano_usd_per_gpu_hour: int = 0


def hourly_cost_nano_usd(cpu_millicores: int, memory_bytes: int, prices: UnitPrices) -> float:
    """What one replica requesting this much costs per hour, nano-USD (fractional)."""
    cpu = cpu_millicores * prices.cpu_nano_usd_per_vcpu_hour / MILLI
    ram = memory_bytes * prices.ram_nano_usd_per_gib_hour / GIB
    return cpu + ram


def monthly_nano_usd(hourly_nano_usd: float, *, replicas: float) -> int:
    """A per-replica hourly amount over a month (730 h) at ``replicas`` average replicas."""
    return round(hourly_nano_usd * replicas * HOURS_PER_MONTH)


def monthly_delta_nano_usd(
    *,
    before: tuple[int, int],
    after: tuple[int, int],
    prices: UnitPrices,
    replicas: float,
) -> int:
    """Monthly saving of moving requests (cpu millicores, memory bytes) ``before`` → ``after``;
    negative when ``after`` costs more."""
    delta = hourly_cost_nano_usd(*before, prices) - hourly_cost_nano_usd(*after, prices)
    return monthly_nano_usd(delta, replicas=replicas)
