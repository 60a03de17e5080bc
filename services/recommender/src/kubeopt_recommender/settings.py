"""Settings of the recommender service (env prefix ``KUBEOPT_``, nesting with ``__``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from kubeopt_common.settings import ApiSettings, DatabaseSettings, ServiceSettings
from kubeopt_recommender.domain.rightsizing import (
    CpuLimitPolicy,
    MemoryLimitPolicy,
    PolicyProfile,
    RightsizingPolicy,
)
from kubeopt_recommender.domain.usage_profile import ProfileParams

MIB = 2**20


class AnalysisSettings(BaseModel):
    """What the analyzers are given, e.g. ``KUBEOPT_ANALYSIS__MIN_HISTORY_HOURS=48``."""

    min_history_hours: float = Field(
        default=24.0, gt=0, description="History a container needs before it is recommended on"
    )


class ProfileSettings(BaseModel):
    """How usage profiles are folded, e.g. ``KUBEOPT_PROFILES__CPU_HALF_LIFE_HOURS=12``.

    Changing them applies to samples folded from then on (stored profiles keep their past)."""

    cpu_half_life_hours: float = Field(default=24.0, gt=0, description="VPA's default")
    memory_half_life_hours: float = Field(default=48.0, gt=0, description="Autopilot's memory")
    memory_interval_minutes: int = Field(default=60, ge=1, le=1440)
    oom_bump_ratio: float = Field(default=1.2, ge=1.0)
    oom_min_bump_mib: int = Field(default=100, ge=0)

    def params(self) -> ProfileParams:
        return ProfileParams(
            cpu_half_life_s=self.cpu_half_life_hours * 3600,
            memory_half_life_s=self.memory_half_life_hours * 3600,
            memory_interval_s=self.memory_interval_minutes * 60,
            oom_bump_ratio=self.oom_bump_ratio,
            oom_min_bump_bytes=self.oom_min_bump_mib * MIB,
        )


class RightsizingSettings(BaseModel):
    """Defaults of a run's rightsizing, e.g. ``KUBEOPT_RIGHTSIZING__CPU_LIMIT=keep``."""

    profile: PolicyProfile = PolicyProfile.BALANCED
    cpu_floor_millicores: int = Field(default=10, ge=1)
    memory_floor_mib: int = Field(default=32, ge=1)
    cpu_limit: CpuLimitPolicy = CpuLimitPolicy.NONE
    cpu_limit_ratio: float = Field(default=2.0, ge=1.0)
    memory_limit: MemoryLimitPolicy = MemoryLimitPolicy.AUTO
    min_change_pct: float = Field(default=10.0, ge=0, le=100)
    min_samples: int = Field(default=12, ge=1)

    def policy(
        self, *, profile: PolicyProfile | None, min_history_hours: float
    ) -> RightsizingPolicy:
        return RightsizingPolicy(
            profile=profile or self.profile,
            cpu_floor_millicores=self.cpu_floor_millicores,
            memory_floor_bytes=self.memory_floor_mib * MIB,
            cpu_limit=self.cpu_limit,
            cpu_limit_ratio=self.cpu_limit_ratio,
            memory_limit=self.memory_limit,
            min_change_fraction=self.min_change_pct / 100,
            min_history_hours=min_history_hours,
            min_samples=self.min_samples,
        )


class RunsSettings(BaseModel):
    """Optimization runs, e.g. ``KUBEOPT_RUNS__INTERVAL_S=0`` to schedule none."""

    interval_s: float = Field(default=3600.0, ge=0, description="0 disables scheduled runs")
    chunk_size: int = Field(default=200, ge=1, description="Containers per committed step")
    rejected_cooldown_days: float = Field(
        default=30.0, ge=0, description="A rejected recommendation is not re-made for this long"
    )


class VerificationSettings(BaseModel):
    """Applied recommendations are judged after ``window_hours`` of new usage."""

    window_hours: float = Field(default=168.0, gt=0)
    interval_s: float = Field(default=300.0, gt=0, description="How often to check")
    match_tolerance_pct: float = Field(
        default=5.0, ge=0, description="Requests within this of the recommendation = applied"
    )
    max_throttled_pct: float = Field(default=10.0, ge=0, le=100)
    min_realized_fraction: float = Field(default=0.5, ge=0, le=1)


class PricingSettings(BaseModel):
    """Asking costing for node prices (``kubeopt.v1.pricing.query``)."""

    timeout_s: float = Field(default=5.0, gt=0)
    cache_ttl_s: float = Field(default=3600.0, ge=0)


class CarbonSettings(BaseModel):
    """Carbon-aware recommendations, e.g. ``KUBEOPT_CARBON__HOURLY_PROFILES_FILE=grid.yaml``.

    The hourly file maps regions to 24 gCO2e/kWh values (UTC hours 0–23)::

        source: Electricity Maps 2025 hourly averages
        profiles:
          aws:
            us-east-1: [410, 402, ...]   # 24 values
    """

    hourly_profiles_file: Path | None = None
    min_shift_reduction_pct: float = Field(default=10.0, ge=0, le=100)
    min_region_reduction_pct: float = Field(default=30.0, ge=0, le=100)


class RecommenderSettings(ServiceSettings):
    """E.g. ``KUBEOPT_DATABASE__URL=postgresql+psycopg://…``, ``KUBEOPT_API__PORT=8702``."""

    database: DatabaseSettings = DatabaseSettings(
        url=SecretStr("sqlite+aiosqlite:///./.kubeopt/recommender.db")
    )
    api: ApiSettings = ApiSettings(port=8702)
    analysis: AnalysisSettings = AnalysisSettings()
    profiles: ProfileSettings = ProfileSettings()
    rightsizing: RightsizingSettings = RightsizingSettings()
    runs: RunsSettings = RunsSettings()
    verification: VerificationSettings = VerificationSettings()
    pricing: PricingSettings = PricingSettings()
    carbon: CarbonSettings = CarbonSettings()
    # Longer than the usage stream keeps messages (3 days): an event can no longer be
    # redelivered once it has left the stream, so its inbox entry is no longer needed.
    inbox_retention_hours: float = Field(default=96.0, gt=0)
    inbox_prune_interval_s: float = Field(default=3600.0, gt=0)
