"""Open the ClickHouse adapter the settings ask for."""

from __future__ import annotations

from kubeopt_common.clickhouse.port import ClickHouse
from kubeopt_common.settings import ClickHouseSettings


def open_clickhouse(settings: ClickHouseSettings) -> ClickHouse:
    if settings.mode == "chdb":
        from kubeopt_common.clickhouse.chdb_adapter import ChdbClickHouse  # lazy: 0.6 s import

        return ChdbClickHouse(settings.path, database=settings.database)
    from kubeopt_common.clickhouse.connect_adapter import ConnectClickHouse

    return ConnectClickHouse.connect(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password.get_secret_value(),
        database=settings.database,
        secure=settings.secure,
    )
