"""Response models of the spend ledger API (they are its OpenAPI documentation)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kubeopt_budgets.domain import NamespaceSpendSummary, nano_usd_to_usd


class NamespaceSpendOut(BaseModel):
    """Spend of one namespace of one cluster over the requested period."""

    cluster: str = Field(description="Cluster name")
    namespace: str = Field(description="Kubernetes namespace")
    windows: int = Field(description="Number of spend windows that start in the period", ge=0)
    cost_nano_usd: int = Field(description="Total cost in nano-USD (1 USD = 10^9)", ge=0)
    cpu_cost_nano_usd: int = Field(description="CPU share of the cost, nano-USD", ge=0)
    memory_cost_nano_usd: int = Field(description="Memory share of the cost, nano-USD", ge=0)
    gpu_cost_nano_usd: int = Field(description="GPU share of the cost, nano-USD", ge=0)
    cost_usd: str = Field(
        description="Total cost as an exact decimal USD string with 9 decimals",
        examples=["12.345678900"],
    )

    @classmethod
    def from_summary(cls, summary: NamespaceSpendSummary) -> NamespaceSpendOut:
        return cls(
            cluster=summary.cluster,
            namespace=summary.namespace,
            windows=summary.windows,
            cost_nano_usd=summary.cost_nano_usd,
            cpu_cost_nano_usd=summary.cpu_cost_nano_usd,
            memory_cost_nano_usd=summary.memory_cost_nano_usd,
            gpu_cost_nano_usd=summary.gpu_cost_nano_usd,
            cost_usd=nano_usd_to_usd(summary.cost_nano_usd),
        )


class SpendReport(BaseModel):
    """Spend per (cluster, namespace) over the half-open period ``[start, end)``."""

    start: datetime = Field(description="Period start (inclusive), UTC")
    end: datetime = Field(description="Period end (exclusive), UTC")
    currency: Literal["USD"] = Field(default="USD", description="Currency of every amount")
    total_nano_usd: int = Field(description="Sum over every namespace listed, nano-USD", ge=0)
    total_usd: str = Field(
        description="total_nano_usd as an exact decimal USD string", examples=["1024.000000000"]
    )
    namespaces: list[NamespaceSpendOut] = Field(
        description="One entry per (cluster, namespace) with spend, sorted by cluster, namespace"
    )

    @classmethod
    def build(
        cls, *, start: datetime, end: datetime, summaries: list[NamespaceSpendSummary]
    ) -> SpendReport:
        total = sum(s.cost_nano_usd for s in summaries)
        return cls(
            start=start,
            end=end,
            total_nano_usd=total,
            total_usd=nano_usd_to_usd(total),
            namespaces=[NamespaceSpendOut.from_summary(s) for s in summaries],
        )
