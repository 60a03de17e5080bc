"""Costing settings (env prefix ``KUBEOPT_``; e.g. ``KUBEOPT_CLICKHOUSE__MODE=http``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, Field

from kubeopt_common.settings import ApiSettings, ClickHouseSettings, ServiceSettings


class PricingSettings(BaseModel):
    """``cost_model`` names a ``kubeopt.cost_models`` plugin; ``catalog`` is built in."""

    cost_model: str = "catalog"
    catalog_dir: Path | None = None  # None: the catalog shipped with the package
    overrides_file: Path | None = None  # custom prices (on-prem, negotiated, pinned)
    options: dict[str, str] = {}  # for third-party cost models


class NetworkSettings(BaseModel):
    """Network pricing: price data (None = packaged) and what counts as a private address."""

    prices_dir: Path | None = None
    private_cidrs: list[str] | None = None  # None: RFC 1918, 100.64/10, link-local, ULA


class CarbonSettings(BaseModel):
    """CCF coefficients and grid factors (None = packaged); optional hourly intensity profiles."""

    data_dir: Path | None = None
    profiles_file: Path | None = None


class AnomalySettings(BaseModel):
    """Spend anomaly detection (seasonal hour-of-week baseline; see domain/anomalies.py)."""

    enabled: bool = True
    threshold: float = Field(default=3.5, gt=0)
    min_cost_usd_per_hour: Decimal = Field(default=Decimal("0.10"), ge=0)
    detect_drops: bool = True


class IngestSettings(BaseModel):
    batch_size: int = Field(default=64, ge=1, le=1000)
    fetch_timeout_s: float = Field(default=0.5, gt=0)
    max_deliver: int = Field(default=5, ge=1)
    in_flight: int = Field(
        default=3,
        ge=1,
        le=8,
        description="Usage batches priced and written at once: the next batch is decoded and "
        "priced while ClickHouse writes the last (3 measured best on 2 cores)",
    )


class CostingSettings(ServiceSettings):
    api: ApiSettings = ApiSettings(port=8701)
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    pricing: PricingSettings = PricingSettings()
    ingest: IngestSettings = IngestSettings()
    network: NetworkSettings = NetworkSettings()
    carbon: CarbonSettings = CarbonSettings()
    anomalies: AnomalySettings = AnomalySettings()
    raw_retention_days: int = Field(default=15, ge=1)
    rollup_retention_days: int = Field(default=400, ge=1)
