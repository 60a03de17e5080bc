"""Collector test fixtures: a real Prometheus loaded with generated history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.collector.prometheus_rig import History, RigUnavailableError, RunningPrometheus, serve
from tests.settings import SuiteSettings


@pytest.fixture(scope="session")
def prometheus(
    tmp_path_factory: pytest.TempPathFactory, suite_settings: SuiteSettings
) -> Iterator[RunningPrometheus]:
    """Debian's Prometheus 2.42 serving three hours of generated history ending now."""
    history = History.ending(datetime.now(UTC))
    server = serve(tmp_path_factory.mktemp("prometheus"), history)
    try:
        running = next(server)
    except RigUnavailableError as err:
        if suite_settings.ci:
            pytest.fail(f"a real Prometheus is required when CI=true: {err}")
        pytest.skip(f"Prometheus is not available: {err}")
    yield running
    server.close()
