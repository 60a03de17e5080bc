"""Shaping allocation results into API responses (pure: unit conversions and efficiencies)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from kubeopt_costing.analytics import MEASURES as COST_MEASURES
from kubeopt_costing.analytics.allocation import bucket_windows
from kubeopt_costing.analytics.anomalies import AnomalyRecord
from kubeopt_costing.analytics.assets import NodeAsset
from kubeopt_costing.analytics.network import NETWORK_GROUPS, NetworkRow
from kubeopt_costing.analytics.network_allocation import NETWORK_MEASURES
from kubeopt_costing.domain.aggregation import AggregateKey
from kubeopt_costing.domain.money import nano_to_usd
from kubeopt_costing.domain.sharing import Group
from kubeopt_costing.domain.windows import Window
from kubeopt_costing.schemas import (
    AllocationItem,
    AllocationResponse,
    AllocationSet,
    AnomaliesResponse,
    AnomalyOut,
    AssetsResponse,
    CarbonItem,
    CarbonResponse,
    ClusterAssetOut,
    NetworkItem,
    NetworkResponse,
    NodeAssetOut,
    TrendItem,
    TrendsResponse,
    WindowOut,
)
from kubeopt_costing.service import AllocationResult, ClusterFee

GIB = 1024**3
MILLICORE_SECONDS_PER_CORE_HOUR = 1000 * 3600
BYTE_SECONDS_PER_GIB_HOUR = GIB * 3600
UG_PER_G = 1_000_000
MEASURES = (*COST_MEASURES, *NETWORK_MEASURES)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def item(
    name: str, properties: dict[str, str], m: dict[str, int], sources: Iterable[str]
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
        pv_cost=nano_to_usd(m["pv_cost_nano_usd"]),
        load_balancer_cost=nano_to_usd(m["lb_cost_nano_usd"]),
        network_cost=nano_to_usd(m["network_cost_nano_usd"]),
        total_cost=nano_to_usd(m["total_cost_nano_usd"]),
        total_cost_nano_usd=m["total_cost_nano_usd"],
        cpu_core_hours=m["cpu_allocated_millicore_seconds"] / MILLICORE_SECONDS_PER_CORE_HOUR,
        cpu_core_request_hours=m["cpu_request_millicore_seconds"] / MILLICORE_SECONDS_PER_CORE_HOUR,
        cpu_core_usage_hours=m["cpu_usage_millicore_seconds"] / MILLICORE_SECONDS_PER_CORE_HOUR,
        ram_gib_hours=m["memory_allocated_byte_seconds"] / BYTE_SECONDS_PER_GIB_HOUR,
        ram_gib_request_hours=m["memory_request_byte_seconds"] / BYTE_SECONDS_PER_GIB_HOUR,
        ram_gib_usage_hours=m["memory_usage_byte_seconds"] / BYTE_SECONDS_PER_GIB_HOUR,
        gpu_hours=m["gpu_request_seconds"] / 3600,
        pv_gib_hours=m["pv_byte_seconds"] / BYTE_SECONDS_PER_GIB_HOUR,
        network_gb=m["network_bytes"] / 1e9,
        energy_kwh=m["energy_uwh"] / 1e9,
        co2e_grams=m["co2e_ug"] / UG_PER_G,
        co2e_marginal_grams=m["co2e_marginal_ug"] / UG_PER_G,
        cpu_efficiency=cpu_eff,
        ram_efficiency=ram_eff,
        total_efficiency=total_eff,
        price_sources=sorted(sources),
    )


def _items(keys: Sequence[AggregateKey], groups: Iterable[Group]) -> list[AllocationItem]:
    ordered = sorted(groups, key=lambda g: -g.measures.get("total_cost_nano_usd", 0))
    return [
        item(
            "/".join(g.key),
            {k.name: v for k, v in zip(keys, g.key, strict=True)},
            _complete(g.measures),
            g.price_sources,
        )
        for g in ordered
    ]


def _complete(measures: dict[str, int]) -> dict[str, int]:
    return {m: measures.get(m, 0) for m in MEASURES}


def _total(groups: Iterable[Group]) -> AllocationItem:
    groups = list(groups)
    totals = {m: sum(g.measures.get(m, 0) for g in groups) for m in MEASURES}
    return item("__total__", {}, totals, {s for g in groups for s in g.price_sources})


def allocation_response(
    window: Window, keys: Sequence[AggregateKey], result: AllocationResult, *, step_s: int | None
) -> AllocationResponse:
    sets = None
    if step_s:
        sets = []
        for bucket in bucket_windows(window, step_s):
            groups = result.series.get(_bucket_start(bucket.start, step_s), {}).values()
            sets.append(
                AllocationSet(
                    window=WindowOut(start=bucket.start, end=bucket.end),
                    items=_items(keys, groups),
                    total=_total(groups),
                )
            )
    return AllocationResponse(
        window=WindowOut(start=window.start, end=window.end),
        aggregate=[k.name for k in keys],
        resolution=result.resolution,
        items=_items(keys, result.groups),
        total=_total(result.groups),
        sets=sets,
    )


def _bucket_start(start: datetime, step_s: int) -> datetime:
    epoch = int(start.timestamp())
    return datetime.fromtimestamp(epoch - epoch % step_s, tz=start.tzinfo)


def assets_response(
    window: Window, assets: Sequence[NodeAsset], fees: Sequence[ClusterFee]
) -> AssetsResponse:
    return AssetsResponse(
        window=WindowOut(start=window.start, end=window.end),
        nodes=[
            NodeAssetOut(
                cluster=a.cluster,
                node=a.node,
                instance_type=a.instance_type,
                capacity_type=a.capacity_type,
                zone=a.zone,
                price_source=a.price_source,
                hours=a.seconds / 3600,
                cost=nano_to_usd(a.cost_nano_usd),
                cost_nano_usd=a.cost_nano_usd,
                cpu_cost=nano_to_usd(a.cpu_cost_nano_usd),
                ram_cost=nano_to_usd(a.memory_cost_nano_usd),
                gpu_cost=nano_to_usd(a.gpu_cost_nano_usd),
                idle_cost=nano_to_usd(a.idle_cost_nano_usd),
                idle_pct=_ratio(a.idle_cost_nano_usd, a.cost_nano_usd),
            )
            for a in assets
        ],
        clusters=[
            ClusterAssetOut(
                cluster=f.cluster,
                provider=f.provider,
                hours=f.seconds / 3600,
                management_fee=nano_to_usd(f.fee_nano_usd),
                management_fee_nano_usd=f.fee_nano_usd,
            )
            for f in fees
        ],
        total_cost=nano_to_usd(
            sum(a.cost_nano_usd for a in assets) + sum(f.fee_nano_usd for f in fees)
        ),
        total_idle_cost=nano_to_usd(sum(a.idle_cost_nano_usd for a in assets)),
    )


def trends_response(
    window: Window,
    keys: Sequence[AggregateKey],
    current: AllocationResult,
    previous: AllocationResult,
    *,
    step_s: int,
    step_text: str,
) -> TrendsResponse:
    buckets = bucket_windows(window, step_s)
    before = {g.key: g.measures.get("total_cost_nano_usd", 0) for g in previous.groups}
    items = []
    for group in current.groups:
        cost = group.measures.get("total_cost_nano_usd", 0)
        was = before.get(group.key, 0)
        series = [
            current.series.get(_bucket_start(b.start, step_s), {}).get(group.key) for b in buckets
        ]
        items.append(
            TrendItem(
                name="/".join(group.key),
                properties={k.name: v for k, v in zip(keys, group.key, strict=True)},
                cost=nano_to_usd(cost),
                previous_cost=nano_to_usd(was),
                change=nano_to_usd(cost - was),
                change_pct=_ratio(cost - was, was),
                series=[
                    nano_to_usd(g.measures.get("total_cost_nano_usd", 0) if g else 0)
                    for g in series
                ],
            )
        )
    length = window.end - window.start
    return TrendsResponse(
        window=WindowOut(start=window.start, end=window.end),
        previous_window=WindowOut(start=window.start - length, end=window.start),
        aggregate=[k.name for k in keys],
        step=step_text,
        buckets=[WindowOut(start=b.start, end=b.end) for b in buckets],
        items=items,
    )


def network_response(window: Window, group: str, rows: Sequence[NetworkRow]) -> NetworkResponse:
    names = NETWORK_GROUPS[group]
    return NetworkResponse(
        window=WindowOut(start=window.start, end=window.end),
        group=group,
        items=[
            NetworkItem(
                name="/".join(r.key),
                properties=dict(zip(names, r.key, strict=True)),
                bytes=r.bytes,
                gib=r.bytes / GIB,
                cost=nano_to_usd(r.cost_nano_usd),
                cost_nano_usd=r.cost_nano_usd,
                transfer_cost=nano_to_usd(r.transfer_nano_usd),
                receiver_side_cost=nano_to_usd(r.receiver_side_nano_usd),
                nat_cost=nano_to_usd(r.nat_nano_usd),
                co2e_grams=r.co2e_ug / UG_PER_G,
            )
            for r in rows
        ],
        total_cost=nano_to_usd(sum(r.cost_nano_usd for r in rows)),
        total_bytes=sum(r.bytes for r in rows),
    )


def anomalies_response(window: Window, records: Sequence[AnomalyRecord]) -> AnomaliesResponse:
    return AnomaliesResponse(
        window=WindowOut(start=window.start, end=window.end),
        anomalies=[
            AnomalyOut(
                anomaly_id=r.anomaly_id,
                cluster=r.cluster,
                namespace=r.namespace,
                workload=r.workload,
                window=WindowOut(start=r.hour, end=r.hour + timedelta(hours=1)),
                expected_cost=nano_to_usd(r.expected_nano_usd),
                actual_cost=nano_to_usd(r.actual_nano_usd),
                expected_nano_usd=r.expected_nano_usd,
                actual_nano_usd=r.actual_nano_usd,
                score=r.score,
                direction=r.direction,
                severity=r.severity,
                baseline=r.baseline,
            )
            for r in records
        ],
    )


def carbon_response(
    window: Window, keys: Sequence[AggregateKey], result: AllocationResult, network_ug: int
) -> CarbonResponse:
    items = [
        CarbonItem(
            name="/".join(g.key),
            properties={k.name: v for k, v in zip(keys, g.key, strict=True)},
            energy_kwh=g.measures.get("energy_uwh", 0) / 1e9,
            co2e_grams=g.measures.get("co2e_ug", 0) / UG_PER_G,
            co2e_marginal_grams=g.measures.get("co2e_marginal_ug", 0) / UG_PER_G,
            cost=nano_to_usd(g.measures.get("total_cost_nano_usd", 0)),
        )
        for g in sorted(result.groups, key=lambda g: -g.measures.get("co2e_ug", 0))
    ]
    return CarbonResponse(
        window=WindowOut(start=window.start, end=window.end),
        aggregate=[k.name for k in keys],
        items=items,
        total_co2e_grams=sum(i.co2e_grams for i in items),
        network_co2e_grams=network_ug / UG_PER_G,
    )
