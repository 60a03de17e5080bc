"""Settings of the budgets service (env prefix ``KUBEOPT_``, nesting with ``__``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from kubeopt_common.settings import ApiSettings, DatabaseSettings, ServiceSettings


class BudgetsSettings(ServiceSettings):
    """E.g. ``KUBEOPT_DATABASE__URL=postgresql+psycopg://…``, ``KUBEOPT_API__PORT=8703``.

    ``relay_interval_s``: how often committed-but-unpublished crossings are looked for (they
    are also looked for at start).
    """

    database: DatabaseSettings = DatabaseSettings(
        url=SecretStr("sqlite+aiosqlite:///./.kubeopt/budgets.db")
    )
    api: ApiSettings = ApiSettings(port=8703)
    relay_interval_s: float = Field(default=5.0, gt=0, le=3600)
