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
    total_cost: Decimal
    total_cost_nano_usd: int
    cpu_core_hours: float = Field(description="Allocated: max(request, usage), scaled to capacity")
    cpu_core_request_hours: float
    cpu_core_usage_hours: float
    ram_gib_hours: float
    ram_gib_request_hours: float
    ram_gib_usage_hours: float
    gpu_hours: float
    cpu_efficiency: float | None = Field(
        description="usage ÷ allocated; null when nothing allocated"
    )
    ram_efficiency: float | None
    total_efficiency: float | None = Field(description="CPU and RAM efficiency weighted by cost")
    price_sources: list[str] = Field(
        description="How the nodes behind this group were priced: catalog, override or default "
        "(default = instance type not in the catalog, priced per vCPU/GiB — flagged, not zero)"
    )


class AllocationResponse(BaseModel):
    window: WindowOut
    aggregate: list[str]
    resolution: str = Field(description="'1h' when answered from hourly rollups, else 'window'")
    currency: str = "USD"
    items: list[AllocationItem]
    total: AllocationItem
