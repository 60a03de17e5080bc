"""Shaping allocation rows into API responses (pure: unit conversions and efficiencies)."""

from __future__ import annotations

from collections.abc import Sequence

from kubeopt_costing.analytics import MEASURES, AllocationRow
from kubeopt_costing.domain.aggregation import AggregateKey
from kubeopt_costing.domain.money import nano_to_usd
from kubeopt_costing.domain.windows import Window
from kubeopt_costing.schemas import AllocationItem, AllocationResponse, WindowOut

GIB = 1024**3
MILLICORE_SECONDS_PER_CORE_HOUR = 1000 * 3600
BYTE_SECONDS_PER_GIB_HOUR = GIB * 3600


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _item(
    name: str, properties: dict[str, str], m: dict[str, int], sources: Sequence[str]
) -> AllocationItem:
    cpu_eff = _ratio(m["cpu_usage_millicore_seconds"], m["cpu_allocated_millicore_seconds"])
    ram_eff = _ratio(m["memory_usage_byte_seconds"], m["memory_allocated_byte_seconds"])
    weight = m["cpu_cost_nano_usd"] + m["memory_cost_nano_usd"]
    total_eff = (
        ((cpu_eff or 0.0) * m["cpu_cost_nano_usd"] + (ram_eff or 0.0) * m["memory_cost_nano_usd"])
        / weight
        if weight and (cpu_eff is not None or ram_eff is not None)
        else None
    )
    return AllocationItem(
        name=name,
        properties=properties,
        cpu_cost=nano_to_usd(m["cpu_cost_nano_usd"]),
        ram_cost=nano_to_usd(m["memory_cost_nano_usd"]),
        gpu_cost=nano_to_usd(m["gpu_cost_nano_usd"]),
        total_cost=nano_to_usd(m["total_cost_nano_usd"]),
        total_cost_nano_usd=m["total_cost_nano_usd"],
        cpu_core_hours=m["cpu_allocated_millicore_seconds"] / MILLICORE_SECONDS_PER_CORE_HOUR,
        cpu_core_request_hours=m["cpu_request_millicore_seconds"] / MILLICORE_SECONDS_PER_CORE_HOUR,
        cpu_core_usage_hours=m["cpu_usage_millicore_seconds"] / MILLICORE_SECONDS_PER_CORE_HOUR,
        ram_gib_hours=m["memory_allocated_byte_seconds"] / BYTE_SECONDS_PER_GIB_HOUR,
        ram_gib_request_hours=m["memory_request_byte_seconds"] / BYTE_SECONDS_PER_GIB_HOUR,
        ram_gib_usage_hours=m["memory_usage_byte_seconds"] / BYTE_SECONDS_PER_GIB_HOUR,
        gpu_hours=m["gpu_request_seconds"] / 3600,
        cpu_efficiency=cpu_eff,
        ram_efficiency=ram_eff,
        total_efficiency=total_eff,
        price_sources=list(sources),
    )


def allocation_response(
    window: Window, keys: Sequence[AggregateKey], rows: Sequence[AllocationRow]
) -> AllocationResponse:
    items = [
        _item(
            "/".join(r.key),
            {k.name: v for k, v in zip(keys, r.key, strict=True)},
            r.measures,
            r.price_sources,
        )
        for r in rows
    ]
    totals = {m: sum(r.measures[m] for r in rows) for m in MEASURES}
    sources = sorted({s for r in rows for s in r.price_sources})
    return AllocationResponse(
        window=WindowOut(start=window.start, end=window.end),
        aggregate=[k.name for k in keys],
        resolution="1h" if window.hour_aligned else "window",
        items=items,
        total=_item("__total__", {}, totals, sources),
    )
