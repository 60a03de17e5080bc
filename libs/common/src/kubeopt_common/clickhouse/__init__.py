"""The ClickHouse port and its two adapters (in-process chDB, clickhouse-connect over HTTP)."""

from kubeopt_common.clickhouse.factory import open_clickhouse
from kubeopt_common.clickhouse.port import ClickHouse, ClickHouseError, Columns, Row

__all__ = ["ClickHouse", "ClickHouseError", "Columns", "Row", "open_clickhouse"]
