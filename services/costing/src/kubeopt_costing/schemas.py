"""API models of costing (OpenCost vocabulary where it fits; money as exact decimal strings)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class WindowOut(BaseModel):
    start: datetime
    end: datetime


class AllocationItem(BaseModel):
    """Cost and resources of one group over the window. Costs in USD, exact to 1e-9."""

    name: str = Field(description="Group name: the aggregation values joined by '/'")
    properties: dict[str, str] = Field(description="Aggregation key → value")
    cpu_cost: Decimal
    ram_cost: Decimal
    gpu_cost: Decimal
    pv_cost: Decimal = Field(description="Persistent volumes by claim size")
    load_balancer_cost: Decimal = Field(description="LoadBalancer Services, split over their pods")
    network_cost: Decimal = Field(
        description="Priced traffic the group sent (or received from outside); see /v1/network"
    )
    total_cost: Decimal
    total_cost_nano_usd: int
    cpu_core_hours: float = Field(description="Allocated: max(request, usage), scaled to capacity")
    cpu_core_request_hours: float
    cpu_core_usage_hours: float
    ram_gib_hours: float
    ram_gib_request_hours: float
    ram_gib_usage_hours: float
    gpu_hours: float
    pv_gib_hours: float
    network_gb: float = Field(description="Traffic behind network_cost, in GB (10^9 bytes)")
    energy_kwh: float = Field(description="Electricity attributed (compute, memory, GPU, PUE)")
    co2e_grams: float = Field(description="Operational + embodied CO2e, average grid intensity")
    co2e_marginal_grams: float = Field(description="Operational CO2e at the marginal intensity")
    cpu_efficiency: float | None = Field(
        description="usage ÷ allocated; null when nothing allocated"
    )
    ram_efficiency: float | None
    total_efficiency: float | None = Field(description="CPU and RAM efficiency weighted by cost")
    price_sources: list[str] = Field(
        description="How the nodes behind this group were priced: catalog, override or default "
        "(default = instance type not in the catalog, priced per vCPU/GiB — flagged, not zero)"
    )


class AllocationSet(BaseModel):
    """One ``step`` of a time series."""

    window: WindowOut
    items: list[AllocationItem]
    total: AllocationItem


class AllocationResponse(BaseModel):
    window: WindowOut
    aggregate: list[str]
    resolution: str = Field(
        description="'1d' / '1h' when answered from the daily / hourly rollups, else 'window'"
    )
    currency: str = "USD"
    items: list[AllocationItem]
    total: AllocationItem
    sets: list[AllocationSet] | None = Field(
        default=None, description="Per step, when `step` was given (a time series)"
    )


class NodeAssetOut(BaseModel):
    cluster: str
    node: str
    instance_type: str
    capacity_type: str
    zone: str
    price_source: str = Field(description="catalog, override or default (flagged estimate)")
    hours: float = Field(description="Hours the node ran in the window")
    cost: Decimal = Field(description="CPU + RAM + GPU cost of the node, USD")
    cost_nano_usd: int
    cpu_cost: Decimal
    ram_cost: Decimal
    gpu_cost: Decimal
    idle_cost: Decimal
    idle_pct: float | None = Field(description="Share of the node's cost nobody was charged")


class ClusterAssetOut(BaseModel):
    cluster: str
    provider: str
    hours: float = Field(description="Hours the cluster ran in the window")
    management_fee: Decimal = Field(
        description="Control-plane fee (EKS/GKE/AKS list price or the custom price file), USD"
    )
    management_fee_nano_usd: int


class AssetsResponse(BaseModel):
    window: WindowOut
    currency: str = "USD"
    nodes: list[NodeAssetOut]
    clusters: list[ClusterAssetOut]
    total_cost: Decimal = Field(description="Nodes and management fees")
    total_idle_cost: Decimal


class TrendItem(BaseModel):
    name: str
    properties: dict[str, str]
    cost: Decimal
    previous_cost: Decimal = Field(description="Same length window just before")
    change: Decimal
    change_pct: float | None = Field(description="null when the previous window cost nothing")
    series: list[Decimal] = Field(description="Cost per step, oldest first")


class TrendsResponse(BaseModel):
    window: WindowOut
    previous_window: WindowOut
    aggregate: list[str]
    step: str
    currency: str = "USD"
    buckets: list[WindowOut]
    items: list[TrendItem]


class NetworkItem(BaseModel):
    name: str
    properties: dict[str, str]
    bytes: int
    gib: float
    cost: Decimal = Field(description="Transfer + receiver side + NAT, USD")
    cost_nano_usd: int
    transfer_cost: Decimal
    receiver_side_cost: Decimal = Field(description="AWS cross-AZ: the receiving side's charge")
    nat_cost: Decimal
    co2e_grams: float


class NetworkResponse(BaseModel):
    window: WindowOut
    group: str
    currency: str = "USD"
    items: list[NetworkItem]
    total_cost: Decimal
    total_bytes: int


class AnomalyOut(BaseModel):
    anomaly_id: str
    cluster: str
    namespace: str
    workload: str = Field(description="Empty for a namespace-level anomaly")
    window: WindowOut
    expected_cost: Decimal
    actual_cost: Decimal
    expected_nano_usd: int
    actual_nano_usd: int
    score: float = Field(description="Deviation in robust spreads (modified z-score)")
    direction: str = Field(description="spike or drop")
    severity: str = Field(description="info, warning or critical")
    baseline: str = Field(description="hour_of_week, hour_of_day or recent")


class AnomaliesResponse(BaseModel):
    window: WindowOut
    anomalies: list[AnomalyOut] = Field(description="Timeline, oldest first")


class CarbonItem(BaseModel):
    name: str
    properties: dict[str, str]
    energy_kwh: float = Field(description="Compute, memory and GPU energy, PUE included")
    co2e_grams: float = Field(description="Operational (average grid intensity) + embodied")
    co2e_marginal_grams: float = Field(description="Operational at the marginal intensity")
    cost: Decimal


class CarbonResponse(BaseModel):
    window: WindowOut
    aggregate: list[str]
    method: str = "Cloud Carbon Footprint (CCF) coefficients, per container per window"
    items: list[CarbonItem]
    total_co2e_grams: float
    network_co2e_grams: float = Field(description="Inter-region traffic, attributed to senders")
