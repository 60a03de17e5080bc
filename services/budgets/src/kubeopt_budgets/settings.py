"""Settings of the budgets service (env prefix ``KUBEOPT_``, nesting with ``__``)."""

from __future__ import annotations

from pydantic import SecretStr

from kubeopt_common.settings import ApiSettings, DatabaseSettings, ServiceSettings


class BudgetsSettings(ServiceSettings):
    """E.g. ``KUBEOPT_DATABASE__URL=postgresql+psycopg://…``, ``KUBEOPT_API__PORT=8703``."""

    database: DatabaseSettings = DatabaseSettings(
        url=SecretStr("sqlite+aiosqlite:///./.kubeopt/budgets.db")
    )
    api: ApiSettings = ApiSettings(port=8703)
