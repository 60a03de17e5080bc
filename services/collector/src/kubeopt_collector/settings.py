"""Collector settings (``KUBEOPT_`` environment variables, ``__`` for nesting).

For example ``KUBEOPT_SCENARIO=./my-fleet.yaml``, ``KUBEOPT_INITIAL_BACKFILL_S=86400`` or
``KUBEOPT_API__PORT=8705``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from kubeopt_common.settings import ApiSettings, ServiceSettings


class CollectorSettings(ServiceSettings):
    """What the collector needs. Durations in seconds."""

    source: str = Field(default="simulator", min_length=1)
    """Name of the ``kubeopt.sources`` plugin to run."""
    scenario: Path | None = None
    """Simulator scenario file; None runs the packaged demo."""
    state_dir: Path = Path("./.kubeopt/collector")
    """Where the last published window per cluster is kept, to resume after a restart."""
    initial_backfill_s: int = Field(default=3600, ge=0)
    """On a first start, publish this much history so that data exists immediately."""
    max_catch_up_s: int = Field(default=86_400, ge=0)
    """On a restart, publish at most this much of the windows missed while down."""
    inventory_interval_s: int = Field(default=600, ge=10)
    """A full inventory snapshot is published at start and then this often."""
    pace_consumer: str | None = "costing"
    """Durable consumer of the usage stream whose backlog paces backfills (None: no pacing)."""
    pace_max_pending: int = Field(default=1000, ge=1)
    """Backfill waits while that consumer has more messages than this pending or unacked."""
    max_samples_per_message: int = Field(default=1000, ge=1, le=100_000)
    api: ApiSettings = ApiSettings(port=8705)
