"""What the services need from ClickHouse, and nothing more.

Both adapters run the same SQL and DDL. The calls are synchronous (chDB is in-process and
blocking); async callers run them with ``asyncio.to_thread``.

Conventions of the port:

* ``insert_columns`` takes column-oriented data: ``{column: values}``, all of equal length.
  ``DateTime`` columns take integer unix seconds; ``Map(String, String)`` columns take dicts.
* ``dedup_token`` makes the insert idempotent: the same token inserted twice (within the table's
  ``non_replicated_deduplication_window``) is stored once.
* ``query`` returns rows as dicts; ``DateTime`` values come back as aware UTC datetimes (whatever
  the column's zone), ``Date`` values as dates, ``Map`` values as dicts.
* A ``datetime`` parameter binds the instant it names, whatever its zone and the parameter type's.
* ``{name:Type}`` placeholders are bound server-side from ``parameters``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeAlias

Columns: TypeAlias = Mapping[str, Sequence[Any]]
Row: TypeAlias = dict[str, Any]


class ClickHouseError(RuntimeError):
    """A statement failed; the message carries the engine's error text."""


class ClickHouse(Protocol):
    @property
    def database(self) -> str: ...

    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> None: ...

    def insert_columns(
        self, table: str, columns: Columns, *, dedup_token: str | None = None
    ) -> None: ...

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[Row]: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...
