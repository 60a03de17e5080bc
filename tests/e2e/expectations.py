"""What the small fleet must cost, computed independently of costing: price × time."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import NANO_PER_HOUR, NODES, Installation

HOURS = 24


def query_window() -> tuple[datetime, datetime]:
    """24 whole hours well inside the 48 h the collector backfilled at start."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    return start, start + timedelta(hours=HOURS)


def rfc3339_pair(start: datetime, end: datetime) -> str:
    return f"{start.isoformat()},{end.isoformat()}"


def expected_fleet_cost_nano_usd() -> int:
    """Σ over nodes of hourly price × hours: what the cloud bill says for the window."""
    return sum(NANO_PER_HOUR[pool] * count * HOURS for pool, count in NODES.items())


def costs(installation: Installation, *args: str, retry_s: float = 60) -> dict[str, Any]:
    """``kubeopt costs -o json``; waits out a costing that is restarting (connection refused)."""
    deadline = time.monotonic() + retry_s
    done = installation.kubeopt("costs", "--output", "json", *args)
    while done.returncode != 0 and "cannot reach" in done.stderr and time.monotonic() < deadline:
        time.sleep(0.5)
        done = installation.kubeopt("costs", "--output", "json", *args)
    assert done.returncode == 0, done.stderr
    body: dict[str, Any] = json.loads(done.stdout)
    return body


def wait_for_total(
    installation: Installation, window: str, expected: int, *, timeout_s: float
) -> dict[str, Any]:
    """Poll until the fleet total reaches ``expected``; it must never go above it."""
    deadline = time.monotonic() + timeout_s
    while True:
        body = costs(installation, "--window", window, "--by", "node")
        total = int(body["total"]["total_cost_nano_usd"])
        assert total <= expected, f"double counting: {total} > {expected}"
        if total == expected:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"fleet total {total} never reached {expected}")
        time.sleep(0.5)
