"""ClickHouse in-process through chDB. One engine path per process (a chDB limit)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import chdb
import orjson
from chdb import session as chdb_session

from kubeopt_common.clickhouse.port import ClickHouseError, Columns, Row

_QUERY_SETTINGS = (
    " SETTINGS output_format_json_quote_64bit_integers=0,"
    " output_format_json_quote_64bit_floats=0, output_format_json_named_tuples_as_objects=1"
)

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_:/.-]{1,256}$")
_engine_lock = threading.Lock()
_engine: tuple[Path, Any, int] | None = None  # (path, session, users)


def _acquire_session(path: Path) -> Any:
    """The process-wide chDB session at ``path`` (chDB allows one engine path per process)."""
    global _engine  # noqa: PLW0603
    with _engine_lock:
        if _engine is None:
            path.mkdir(parents=True, exist_ok=True)
            _engine = (path, chdb_session.Session(str(path)), 1)
            return _engine[1]
        open_path, session, users = _engine
        if open_path != path:
            msg = f"chDB is already open at {open_path}; one engine path per process"
            raise ClickHouseError(msg)
        _engine = (open_path, session, users + 1)
        return session


def _release_session() -> None:
    global _engine  # noqa: PLW0603
    with _engine_lock:
        if _engine is None:
            return
        path, session, users = _engine
        if users <= 1:
            session.close()
            _engine = None
        else:
            _engine = (path, session, users - 1)


def _convert(type_name: str, value: Any) -> Any:
    if value is None:
        return None
    base = type_name.removeprefix("LowCardinality(").removeprefix("Nullable(")
    if base.startswith("DateTime"):
        text = str(value)
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    if base.startswith("Date"):
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
    return value


def _literal(value: Any) -> str:
    """A parameter value in the text form ClickHouse parses for ``{name:Type}``."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return json.dumps(list(value)).replace('"', "'")
    return str(value)


class ChdbClickHouse:
    """The chDB adapter. Inserts hand Python columns straight to the engine (no serialization)."""

    def __init__(self, path: Path, *, database: str) -> None:
        self._session = _acquire_session(path.resolve())
        self._closed = False
        self._database = database
        self._session.query(f"CREATE DATABASE IF NOT EXISTS {database}")

    @property
    def database(self) -> str:
        return self._database

    def _run(self, sql: str, fmt: str, parameters: Mapping[str, Any] | None) -> Any:
        params = {k: _literal(v) for k, v in (parameters or {}).items()}
        try:
            return self._session.query(sql, fmt, params=params)
        except Exception as err:  # chdb raises its own error types
            raise ClickHouseError(str(err)) from err

    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> None:
        self._run(sql, "CSV", parameters)

    def insert_columns(
        self, table: str, columns: Columns, *, dedup_token: str | None = None
    ) -> None:
        names = list(columns)
        if not names or not len(columns[names[0]]):
            return
        # The Python() table function reads the local variable named in the query.
        kubeopt_insert_data = {  # noqa: F841
            name: [orjson.dumps(v).decode() for v in values]
            if values and isinstance(values[0], dict)
            else list(values)
            for name, values in columns.items()
        }
        select = ", ".join(
            f"JSONExtract({n}, 'Map(String, String)')"
            if columns[n] and isinstance(columns[n][0], dict)
            else n
            for n in names
        )
        if dedup_token is not None and not _TOKEN_RE.match(dedup_token):
            msg = f"dedup token {dedup_token!r} has characters outside [A-Za-z0-9_:/.-]"
            raise ClickHouseError(msg)
        settings = f" SETTINGS insert_deduplication_token='{dedup_token}'" if dedup_token else ""
        sql = (
            f"INSERT INTO {self._database}.{table} ({', '.join(names)}){settings} "
            f"SELECT {select} FROM Python(kubeopt_insert_data)"
        )
        try:
            self._session.query(sql, "CSV")
        except Exception as err:
            raise ClickHouseError(f"insert into {table} failed: {err}") from err

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[Row]:
        result = self._run(sql + _QUERY_SETTINGS, "JSONCompact", parameters)
        raw = result.bytes()
        if not raw:
            return []
        doc = orjson.loads(raw)
        meta = [(m["name"], m["type"]) for m in doc["meta"]]
        return [
            {
                name: _convert(type_name, value)
                for (name, type_name), value in zip(meta, row, strict=True)
            }
            for row in doc["data"]
        ]

    def ping(self) -> bool:
        try:
            self._run("SELECT 1", "CSV", None)
        except ClickHouseError:
            return False
        return True

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _release_session()


__all__ = ["ChdbClickHouse", "chdb"]
