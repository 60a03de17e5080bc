"""ClickHouse reads and writes of costing (the only code that speaks SQL to ClickHouse)."""

from kubeopt_costing.analytics.allocation import AllocationQuery, BucketRow, query_allocation
from kubeopt_costing.analytics.store import (
    MEASURES,
    AllocationFilter,
    AllocationRow,
    CostStore,
    NamespaceHourTotal,
    utc_hour,
)

__all__ = [
    "MEASURES",
    "AllocationFilter",
    "AllocationQuery",
    "AllocationRow",
    "BucketRow",
    "CostStore",
    "NamespaceHourTotal",
    "query_allocation",
    "utc_hour",
]
