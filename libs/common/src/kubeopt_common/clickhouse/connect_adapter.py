"""ClickHouse through clickhouse-connect: a server over HTTP(S), or ``chdb://`` in-process.

This is the production adapter (distributed mode). Tests also run it with a ``chdb://`` DSN, which
exercises the same client code path (Native format inserts, server-side parameters) on the
embedded engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError as DriverError

from kubeopt_common.clickhouse.port import ClickHouseError, Columns, Row


def _aware(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


class ConnectClickHouse:
    def __init__(self, client: Client, *, database: str) -> None:
        self._client = client
        self._database = database
        self.command(f"CREATE DATABASE IF NOT EXISTS {database}")

    @classmethod
    def connect(
        cls,
        *,
        host: str,
        port: int,
        user: str,
        password: str,
        database: str,
        secure: bool = False,
    ) -> ConnectClickHouse:
        try:
            client = clickhouse_connect.get_client(
                host=host,
                port=port,
                username=user,
                password=password,
                secure=secure,
                autogenerate_session_id=False,
            )
        except DriverError as err:
            raise ClickHouseError(f"cannot connect to ClickHouse at {host}:{port}: {err}") from err
        return cls(client, database=database)

    @classmethod
    def from_dsn(cls, dsn: str, *, database: str) -> ConnectClickHouse:
        try:
            client = clickhouse_connect.get_client(dsn=dsn)
        except DriverError as err:
            parts = urlsplit(dsn)  # name the server, never the credentials in the DSN
            where = f"{parts.hostname}:{parts.port}" if parts.hostname else parts.path
            raise ClickHouseError(f"cannot connect to ClickHouse at {where}: {err}") from err
        return cls(client, database=database)

    @property
    def database(self) -> str:
        return self._database

    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> None:
        try:
            self._client.command(sql, parameters=dict(parameters or {}))
        except DriverError as err:
            raise ClickHouseError(str(err)) from err

    def insert_columns(
        self, table: str, columns: Columns, *, dedup_token: str | None = None
    ) -> None:
        names = list(columns)
        if not names or not len(columns[names[0]]):
            return
        settings = {"insert_deduplication_token": dedup_token} if dedup_token else {}
        try:
            self._client.insert(
                f"{self._database}.{table}",
                [list(columns[n]) for n in names],
                column_names=names,
                column_oriented=True,
                settings=settings,
            )
        except DriverError as err:
            raise ClickHouseError(f"insert into {table} failed: {err}") from err

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[Row]:
        try:
            result = self._client.query(sql, parameters=dict(parameters or {}))
        except DriverError as err:
            raise ClickHouseError(str(err)) from err
        names = result.column_names
        return [
            {n: _aware(v) for n, v in zip(names, row, strict=True)} for row in result.result_rows
        ]

    def ping(self) -> bool:
        return bool(self._client.ping())

    def close(self) -> None:
        self._client.close()
