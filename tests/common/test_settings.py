"""Settings models: safe defaults, env parsing with the KUBEOPT_ prefix, and refusals."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from kubeopt_common.settings import (
    ClickHouseSettings,
    DatabaseSettings,
    Environment,
    NatsSettings,
    ServiceSettings,
)


def test_defaults_are_the_all_in_one_dev_setup() -> None:
    settings = ServiceSettings()
    assert settings.env is Environment.DEV
    assert settings.nats.url.startswith("nats://127.0.0.1")
    assert settings.telemetry.log_format == "json"


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite:///./state.db", "postgresql+psycopg://u@db:5432/kubeopt"]
)
def test_supported_database_urls(url: str) -> None:
    assert DatabaseSettings(url=SecretStr(url)).url.get_secret_value() == url


@pytest.mark.parametrize("url", ["sqlite:///x.db", "postgresql://u@db/k", "mysql://u@db/k"])
def test_an_unsupported_database_driver_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match=r"sqlite\+aiosqlite:// or postgresql\+psycopg://"):
        DatabaseSettings(url=SecretStr(url))


def test_a_database_url_never_shows_in_repr() -> None:
    settings = DatabaseSettings(url=SecretStr("postgresql+psycopg://u:hunter2@db/k"))
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize("url", ["http://x", "nats:/x", "localhost:4222"])
def test_a_nats_url_needs_a_nats_scheme(url: str) -> None:
    with pytest.raises(ValidationError, match="url"):
        NatsSettings(url=url)


@pytest.mark.parametrize("database", ["1st", "kube-opt", "x; DROP DATABASE y"])
def test_a_clickhouse_database_must_be_an_identifier(database: str) -> None:
    with pytest.raises(ValidationError, match="database"):
        ClickHouseSettings(database=database)


def test_nested_env_vars_use_double_underscores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEOPT_NATS__STREAM_REPLICAS", "3")
    monkeypatch.setenv("KUBEOPT_TELEMETRY__LOG_LEVEL", "DEBUG")
    settings = ServiceSettings()
    assert settings.nats.stream_replicas == 3
    assert settings.telemetry.log_level == "DEBUG"
