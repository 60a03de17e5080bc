"""ClickHouse in-process through chDB. One engine path per process (a chDB limit)."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import chdb
import orjson
from chdb import session as chdb_session

from kubeopt_common.clickhouse.port import ClickHouseError, Columns, Row

# DateTime values leave the engine as unix timestamps: a column's own time zone (DateTime('Asia/
# Tokyo')) then cannot be mistaken for UTC when the text is parsed back.
_QUERY_SETTINGS = (
    "SETTINGS output_format_json_quote_64bit_integers=0,"
    " output_format_json_quote_64bit_floats=0, output_format_json_named_tuples_as_objects=1,"
    " date_time_output_format='unix_timestamp'"
)

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_:/.-]{1,256}$")
_engine_lock = threading.Lock()
# Every call into the engine goes through this lock. chDB takes its own mutex without releasing
# the GIL, while an insert reading Python() data needs the GIL under that mutex: two threads
# (a query and an insert) deadlocked here. Serialising in Python avoids it (waiting on a Python
# lock releases the GIL); the engine serialises calls internally anyway.
_call_lock = threading.Lock()
_engine: tuple[Path, Any, int] | None = None  # (path, session, users)


def _acquire_session(path: Path) -> Any:
    """The process-wide chDB session at ``path`` (chDB allows one engine path per process)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            path.mkdir(parents=True, exist_ok=True)
            _engine = (path, chdb_session.Session(str(path)), 1)  # type: ignore[no-untyped-call]
            return _engine[1]
        open_path, session, users = _engine
        if open_path != path:
            msg = f"chDB is already open at {open_path}; one engine path per process"
            raise ClickHouseError(msg)
        _engine = (open_path, session, users + 1)
        return session


def _release_session() -> None:
    global _engine
    with _engine_lock:
        if _engine is None:
            return
        path, session, users = _engine
        if users <= 1:
            with _call_lock:
                session.close()
            _engine = None
        else:
            _engine = (path, session, users - 1)


def _convert(type_name: str, value: Any) -> Any:
    if value is None:
        return None
    base = type_name.removeprefix("LowCardinality(").removeprefix("Nullable(")
    if base.startswith("DateTime"):
        # "1740830400" or, for DateTime64, "1740830400.250": seconds since the epoch.
        seconds = Decimal(str(value))
        whole = int(seconds)
        return datetime.fromtimestamp(whole, UTC) + timedelta(
            microseconds=int((seconds - whole) * 1_000_000)
        )
    if base.startswith("Date"):
        # A calendar day, as clickhouse-connect returns it: no time, no zone.
        return date.fromisoformat(str(value))
    return value


def _literal(value: Any, *, nested: bool = False) -> str:
    """A parameter value in the text form ClickHouse parses for ``{name:Type}``."""
    if isinstance(value, datetime):
        # Unix seconds name the instant whatever the zone of the parameter type, as
        # clickhouse-connect binds it; sub-second precision is dropped like there.
        text = str(int(value.timestamp()))
        return f"'{text}'" if nested else text
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_literal(v, nested=True) for v in value) + "]"
    text = str(value)
    if nested:
        escaped = text.replace("\\", "\\\\").replace("'", "\\'")
        return f"'{escaped}'"
    return text


def _json_texts(values: Sequence[Any]) -> list[str]:
    """Map values as JSON text for ``JSONExtract``; rows usually share a few dicts (a message's
    interned label sets), so each distinct object is serialised once."""
    texts: dict[int, str] = {}
    out = []
    for value in values:
        text = texts.get(id(value))
        if text is None:
            text = texts[id(value)] = orjson.dumps(value).decode()
        out.append(text)
    return out


class ChdbClickHouse:
    """The chDB adapter. Inserts hand Python columns straight to the engine (no serialization)."""

    def __init__(self, path: Path, *, database: str) -> None:
        self._session = _acquire_session(path.resolve())
        self._closed = False
        self._database = database
        with _call_lock:
            self._session.query(f"CREATE DATABASE IF NOT EXISTS {database}")

    @property
    def database(self) -> str:
        return self._database

    def _run(self, sql: str, fmt: str, parameters: Mapping[str, Any] | None) -> Any:
        params = {k: _literal(v) for k, v in (parameters or {}).items()}
        try:
            with _call_lock:
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
            name: _json_texts(values) if values and isinstance(values[0], dict) else list(values)
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
        # Identifiers come from our code and the token is checked above; values never enter the
        # SQL text (the Python() table function reads them).
        sql = (
            f"INSERT INTO {self._database}.{table} ({', '.join(names)}){settings} "  # noqa: S608
            f"SELECT {select} FROM Python(kubeopt_insert_data)"
        )
        try:
            with _call_lock:
                self._session.query(sql, "CSV")
        except Exception as err:
            raise ClickHouseError(f"insert into {table} failed: {err}") from err

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[Row]:
        # On a line of its own, so a trailing "-- comment" cannot swallow the settings.
        statement = f"{sql.rstrip().removesuffix(';')}\n{_QUERY_SETTINGS}"
        result = self._run(statement, "JSONCompact", parameters)
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
