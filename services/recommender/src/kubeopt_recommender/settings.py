"""Settings of the recommender service (env prefix ``KUBEOPT_``, nesting with ``__``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from kubeopt_common.settings import ApiSettings, DatabaseSettings, ServiceSettings


class AnalysisSettings(BaseModel):
    """What the analyzers are given, e.g. ``KUBEOPT_ANALYSIS__MIN_HISTORY_HOURS=48``."""

    min_history_hours: float = Field(
        default=24.0, gt=0, description="History a container needs before it is recommended on"
    )


class RecommenderSettings(ServiceSettings):
    """E.g. ``KUBEOPT_DATABASE__URL=postgresql+psycopg://…``, ``KUBEOPT_API__PORT=8702``."""

    database: DatabaseSettings = DatabaseSettings(
        url=SecretStr("sqlite+aiosqlite:///./.kubeopt/recommender.db")
    )
    api: ApiSettings = ApiSettings(port=8702)
    analysis: AnalysisSettings = AnalysisSettings()
    # Longer than the usage stream keeps messages (3 days): an event can no longer be
    # redelivered once it has left the stream, so its inbox entry is no longer needed.
    inbox_retention_hours: float = Field(default=96.0, gt=0)
    inbox_prune_interval_s: float = Field(default=3600.0, gt=0)
