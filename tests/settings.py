"""What the test suite reads from its environment."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class SuiteSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    # With CI=true a test whose server is missing fails; it never skips.
    ci: bool = False
    kubeopt_test_pg_dsn: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    # UPDATE_SNAPSHOTS=1 rewrites the event JSON-schema snapshots in tests/contracts/snapshots.
    update_snapshots: bool = False
