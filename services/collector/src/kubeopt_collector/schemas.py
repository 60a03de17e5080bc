"""API response models of the collector."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kubeopt_collector.domain.clusters import SourceSpec
from kubeopt_common.events import Provider


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


class ClusterSourceStatus(BaseModel):
    """How one source of a registered cluster is doing."""

    model_config = ConfigDict(frozen=True)

    kind: str
    state: str = Field(description="starting, syncing, ok, retrying or stopped")
    last_seen_at: datetime | None = Field(description="Last successful contact with its backend")
    last_error: str | None = None
    last_error_at: datetime | None = None
    next_retry_at: datetime | None = None
    consecutive_failures: int = 0
    messages_published: int = 0
    input_skipped: int = Field(0, description="Unreadable objects, quantities, unknown IPs, …")


class ClusterOut(BaseModel):
    """A registered cluster, its sources (settings; credentials as secret references only) and
    their status."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    name: str
    provider: Provider
    region: str
    sources: list[SourceSpec]
    created_at: datetime
    updated_at: datetime
    status: str = Field(description="ok, degraded (a source is retrying), starting or stopped")
    last_seen_at: datetime | None = Field(description="Latest contact of any of its sources")
    source_status: list[ClusterSourceStatus]


class ClustersOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    clusters: list[ClusterOut]
