"""What the ``kubeopt`` command reads from its environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CliSettings(BaseSettings):
    """``KUBEOPT_DATA_DIR``, ``KUBEOPT_COSTING_URL``, ``KUBEOPT_TOKEN``, ``KUBEOPT_NATS_URL``."""

    model_config = SettingsConfigDict(env_prefix="KUBEOPT_", extra="ignore")

    data_dir: Path = Path(".kubeopt")
    costing_url: str | None = None
    token: SecretStr | None = None
    nats_url: str | None = None


def inherited_environment() -> dict[str, str]:
    """The environment handed to all-in-one children (they read their settings from it)."""
    import os

    return dict(os.environ)
