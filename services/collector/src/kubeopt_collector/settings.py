"""Collector settings (``KUBEOPT_`` environment variables, ``__`` for nesting).

For example ``KUBEOPT_SCENARIO=./my-fleet.yaml``, ``KUBEOPT_INITIAL_BACKFILL_S=86400``,
``KUBEOPT_DATABASE__URL=postgresql+psycopg://…`` (the cluster registry) or
``KUBEOPT_API__PORT=8705``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr

from kubeopt_collector.errors import SecretReferenceError
from kubeopt_common.settings import ApiSettings, DatabaseSettings, ServiceSettings

NO_SOURCE = "none"
"""``KUBEOPT_SOURCE=none``: no built-in source; only the clusters of the registry."""


class CollectorSettings(ServiceSettings):
    """What the collector needs. Durations in seconds."""

    source: str = Field(default="simulator", min_length=1)
    """Name of the ``kubeopt.sources`` plugin to run, or ``none`` (registry clusters only)."""
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
    clusters_file: Path | None = None
    """YAML list of clusters (the body of ``POST /v1/clusters``) registered or updated at start:
    declarative registration, e.g. from a ConfigMap."""
    database: DatabaseSettings = DatabaseSettings(
        url=SecretStr("sqlite+aiosqlite:///./.kubeopt/collector.db")
    )
    api: ApiSettings = ApiSettings(port=8705)


def resolve_secret(reference: str) -> str:
    """The value a secret reference names: ``env:VARIABLE`` or ``file:/path`` (stripped).

    Credentials of registered clusters are stored only as such references; this is the one
    place they are read. Raises SecretReferenceError naming the reference.
    """
    scheme, _, target = reference.partition(":")
    if scheme == "env":
        value = os.environ.get(target)
        if value is None:
            msg = f"secret reference {reference}: environment variable {target} is not set"
            raise SecretReferenceError(msg)
        return value
    if scheme == "file":
        try:
            return Path(target).read_text(encoding="utf-8").strip()
        except OSError as err:
            msg = f"secret reference {reference}: {err.strerror or err}"
            raise SecretReferenceError(msg) from err
    msg = f"secret reference {reference!r} is neither env:VARIABLE nor file:/path"
    raise SecretReferenceError(msg)
