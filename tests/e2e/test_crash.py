"""SIGKILL costing while it ingests history; once the supervisor restarts it, totals are exact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import SMALL_SCENARIO, Installation
from tests.e2e.expectations import (
    costs,
    expected_fleet_cost_nano_usd,
    query_window,
    rfc3339_pair,
    wait_for_total,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]
INITIAL_BACKFILL_S = 0  # nothing to ingest until the test publishes history itself
# Eight messages per fetch (several fetches in flight): ingest is slow enough that the test sees the
# window part-attributed and kills costing mid-stream, with batches in their handlers.
EXTRA_ENV = {"KUBEOPT_INGEST__BATCH_SIZE": "8"}


def test_costing_killed_mid_stream_recovers_exact_totals(installation: Installation) -> None:
    window = rfc3339_pair(*query_window())
    expected = expected_fleet_cost_nano_usd()
    victim = installation.endpoints()["pids"]["costing"]
    simulate = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubeopt_cli",
            "simulate",
            "--backfill",
            "2d",
            "--scenario",
            str(SMALL_SCENARIO),
            "--data-dir",
            str(installation.data_dir),
        ],
        env=installation.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _kill_mid_stream(installation, window, expected, victim)
        _, errors = simulate.communicate(timeout=240)
    finally:
        if simulate.poll() is None:
            simulate.kill()
            simulate.communicate()
    assert simulate.returncode == 0, errors
    wait_for_total(installation, window, expected, timeout_s=180)
    time.sleep(2)  # anything still redelivered must not add to the totals
    final = costs(installation, "--window", window, "--by", "node")
    assert final["total"]["total_cost_nano_usd"] == expected


def _kill_mid_stream(installation: Installation, window: str, expected: int, victim: int) -> None:
    deadline = time.monotonic() + 120
    while True:  # kill as soon as some, not all, of the window is attributed
        total = int(
            costs(installation, "--window", window, "--by", "node")["total"]["total_cost_nano_usd"]
        )
        if 0 < total < expected:
            break
        assert total < expected, "the backfill finished before costing could be killed"
        assert time.monotonic() < deadline, "costing never started attributing"
        time.sleep(0.05)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while installation.endpoints()["pids"]["costing"] == victim:
        assert time.monotonic() < deadline, "the supervisor did not restart costing"
        time.sleep(0.2)
