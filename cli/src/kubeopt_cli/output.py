"""Rendering rows as a table, JSON or CSV (``--output``)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def render(
    rows: Sequence[dict[str, Any]],
    *,
    columns: Sequence[tuple[str, str]],
    fmt: OutputFormat,
    console: Console,
    title: str = "",
    raw: Any = None,
) -> None:
    """``columns`` are (key, heading). JSON prints ``raw`` when given (the full API answer)."""
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(raw if raw is not None else list(rows), indent=2) + "\n")
        return
    if fmt is OutputFormat.CSV:
        writer = csv.writer(sys.stdout)
        writer.writerow([key for key, _ in columns])
        for row in rows:
            writer.writerow([row.get(key, "") for key, _ in columns])
        return
    table = Table(title=title or None)
    for key, heading in columns:
        table.add_column(heading, justify="left" if key == "name" else "right")
    for row in rows:
        table.add_row(*(str(row.get(key, "")) for key, _ in columns))
    console.print(table)
