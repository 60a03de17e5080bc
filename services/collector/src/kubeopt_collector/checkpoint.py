"""The collector's resume point: the last window published per cluster, in a JSON file.

The file is replaced atomically (write to a temporary file, then rename), so a crash leaves
either the old or the new content. A missing or unreadable file means "never published": the
collector then backfills its initial history again, which is harmless because republished
windows keep their event ids (JetStream dedupe, idempotent consumers).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)
STATE_FILE = "published-windows.json"
_VERSION = 1


class Checkpoint:
    """Reads and writes ``{"version": 1, "windows": {cluster: iso window start}}``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, datetime]:
        """Last published window start per cluster (empty when there is no usable file)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != _VERSION:
                msg = f"unsupported version {data.get('version')!r}"
                raise ValueError(msg)
            return {
                str(cluster): datetime.fromisoformat(value).astimezone(UTC)
                for cluster, value in data["windows"].items()
            }
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            log.warning("collector.checkpoint_unreadable", path=str(self.path), error=str(err))
            return {}

    def save(self, windows: Mapping[str, datetime]) -> None:
        """Atomically replace the file with ``windows``."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "version": _VERSION,
            "windows": {c: w.astimezone(UTC).isoformat() for c, w in sorted(windows.items())},
        }
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
