"""API response models of the collector."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SourceStatusOut(BaseModel):
    """What one source has published since the collector started."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Plugin name of the source (KUBEOPT_SOURCE)")
    kind: str = Field(description="What the source reads: simulator, kubernetes, …")
    clusters: list[str]
    last_windows: dict[str, datetime | None] = Field(
        description="Start of the last usage window published per cluster (null: none yet)"
    )
    messages_published: int
    samples_published: int
    last_error: str | None = None
    last_error_at: datetime | None = None
