"""What the small fleet must cost, computed independently of costing: price × time."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.e2e.conftest import NANO_PER_HOUR, NODES, Installation

HOURS = 24
WINDOW_S = 60  # small.yaml's interval_seconds
GIB = 2**30
# The pod assets of small.yaml, at the AWS catalog's us-east-1 list prices: gp3 is $0.08 per
# GiB-month (730 hours), a load balancer $0.0225 an hour. Each is priced per window (floored to
# a nano-dollar) and split over the pods sharing it, so its shares add up to the window's cost.
GP3_NANO_PER_GIB_MONTH = 80_000_000
LB_NANO_PER_HOUR = 22_500_000
CLAIMS = {"data-db-0": 10 * GIB, "etl-scratch": 3 * GIB}
LOAD_BALANCERS = ("web-public",)


def query_window() -> tuple[datetime, datetime]:
    """24 whole hours well inside the 48 h the collector backfilled at start."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    return start, start + timedelta(hours=HOURS)


def rfc3339_pair(start: datetime, end: datetime) -> str:
    return f"{start.isoformat()},{end.isoformat()}"


def expected_node_bill_nano_usd() -> int:
    """Σ over nodes of hourly price × hours: what the cloud bill says the nodes cost."""
    return sum(NANO_PER_HOUR[pool] * count * HOURS for pool, count in NODES.items())


def expected_pv_cost_nano_usd() -> int:
    """Every claim for every window of the query window (their pods never stop)."""
    windows = HOURS * 3600 // WINDOW_S
    per_window = sum(
        GP3_NANO_PER_GIB_MONTH * size * WINDOW_S // (GIB * 730 * 3600) for size in CLAIMS.values()
    )
    return per_window * windows


def expected_lb_cost_nano_usd() -> int:
    return LB_NANO_PER_HOUR * HOURS * len(LOAD_BALANCERS)


def expected_fleet_cost_nano_usd() -> int:
    """The nodes' bill plus the claims and load balancers their pods carry."""
    return expected_node_bill_nano_usd() + expected_pv_cost_nano_usd() + expected_lb_cost_nano_usd()


def nano(usd: str) -> int:
    """An exact decimal USD amount of the API (nine places at most) in nano-USD."""
    return int(Decimal(usd).scaleb(9))


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
