"""Typed settings shared by every service. Built once, at a composition root, and passed down.

Environment variables use the ``KUBEOPT_`` prefix and ``__`` for nesting, e.g.
``KUBEOPT_NATS__URL=nats://nats:4222`` or ``KUBEOPT_API__TOKEN=...``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEV = "dev"
    PROD = "prod"


class NatsSettings(BaseModel):
    url: str = Field(default="nats://127.0.0.1:4222", pattern=r"^(nats|tls|ws|wss)://")
    user: str | None = None
    password: SecretStr | None = None
    declare_streams: bool = True
    stream_replicas: int = Field(default=1, ge=1, le=5)


class ClickHouseSettings(BaseModel):
    """``chdb`` runs the engine in-process (path = data directory); ``http`` talks to a server."""

    mode: Literal["chdb", "http"] = "chdb"
    path: Path = Path("./.kubeopt/clickhouse")
    host: str = "127.0.0.1"
    port: int = Field(default=8123, ge=1, le=65535)
    secure: bool = False
    user: str = "default"
    password: SecretStr = SecretStr("")
    database: str = Field(default="kubeopt", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class DatabaseSettings(BaseModel):
    """SQLAlchemy URL: ``sqlite+aiosqlite:///path.db`` or ``postgresql+psycopg://…``."""

    url: SecretStr = SecretStr("sqlite+aiosqlite:///./.kubeopt/state.db")
    pool_size: int = Field(default=5, ge=1)
    echo: bool = False

    @model_validator(mode="after")
    def _supported_driver(self) -> Self:
        url = self.url.get_secret_value()
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+psycopg://")):
            msg = "database url must use sqlite+aiosqlite:// or postgresql+psycopg://"
            raise ValueError(msg)
        return self


class TelemetrySettings(BaseModel):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    traces: Literal["none", "console", "otlp"] = "none"
    otlp_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=0, le=65535)
    token: SecretStr = SecretStr("")


class ServiceSettings(BaseSettings):
    """What every service needs. Service settings classes extend this one."""

    model_config = SettingsConfigDict(
        env_prefix="KUBEOPT_",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    env: Environment = Environment.DEV
    nats: NatsSettings = NatsSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    api: ApiSettings = ApiSettings()

    @model_validator(mode="after")
    def _safe_outside_dev(self) -> Self:
        if self.env is Environment.PROD and not self.api.token.get_secret_value():
            msg = "api.token must be set when env=prod (KUBEOPT_API__TOKEN)"
            raise ValueError(msg)
        return self
