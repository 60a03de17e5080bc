"""Stop `kubeopt up`, start it again on the same data directory: it resumes, no double count."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import Installation
from tests.e2e.expectations import (
    costs,
    expected_fleet_cost_nano_usd,
    query_window,
    rfc3339_pair,
    wait_for_total,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]


def test_restart_resumes_without_double_counting(installation: Installation) -> None:
    window = rfc3339_pair(*query_window())
    expected = expected_fleet_cost_nano_usd()
    wait_for_total(installation, window, expected, timeout_s=120)
    token = installation.token()
    checkpoint = sorted((installation.data_dir / "collector").iterdir())
    assert checkpoint, "the collector keeps its resume point in the data directory"

    installation.stop()
    installation.start()

    assert installation.token() == token  # same installation, same credentials
    body = costs(installation, "--window", window, "--by", "node")
    assert body["total"]["total_cost_nano_usd"] == expected  # data survived the restart
    # The restarted pipeline carries on: the latest minutes (published before and after the
    # restart) get attributed, and the old window stays exactly the same.
    deadline = time.monotonic() + 120
    while (
        costs(installation, "--window", "5m", "--by", "cluster")["total"]["total_cost_nano_usd"]
        == 0
    ):
        assert time.monotonic() < deadline, "nothing attributed for the last minutes after restart"
        time.sleep(1)
    assert (
        costs(installation, "--window", window, "--by", "node")["total"]["total_cost_nano_usd"]
        == expected
    )
