"""Structured logs: JSON lines with the event, the service, and secrets redacted."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from kubeopt_common.settings import TelemetrySettings
from kubeopt_common.telemetry.logging import configure_logging, get_logger

QUIETED = ("uvicorn.access", "faststream.access.nats", "httpx")
REDACTED = "***"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging is process-global; put everything back for the other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in QUIETED}
    config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, quiet_level in levels.items():
        logging.getLogger(name).setLevel(quiet_level)
    structlog.configure(**config)
    structlog.contextvars.clear_contextvars()


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_carry_event_service_and_context(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(TelemetrySettings(log_format="json"), service="costing")

    get_logger("kubeopt.test").info("cost.window_priced", window_s=60, nodes=3)

    [line] = _json_lines(capsys.readouterr().err)
    assert line["event"] == "cost.window_priced"
    assert line["service"] == "costing"
    assert line["level"] == "info"
    assert line["logger"] == "kubeopt.test"
    assert (line["window_s"], line["nodes"]) == (60, 3)
    assert line["timestamp"].endswith("Z")


def test_secrets_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(TelemetrySettings(log_format="json"), service="notifier")
    secrets = {
        "token": "t0k3n",
        "password": "hunter2",
        "Authorization": "Bearer abc",
        "api_token": "t0k3n-2",
        "nats_password": "hunter3",
        "webhook_secret": "whsec",
    }

    get_logger("kubeopt.test").warning("channel.configured", **secrets, token_count=5)

    output = capsys.readouterr().err
    for secret in secrets.values():
        assert secret not in output
    [line] = _json_lines(output)
    assert {line[key] for key in secrets} == {REDACTED}
    assert line["token_count"] == 5


def test_level_filters_and_stdlib_records_are_rendered_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(TelemetrySettings(log_format="json", log_level="WARNING"), service="budgets")

    get_logger("kubeopt.test").info("budget.evaluated")
    logging.getLogger("some.library").warning("disk at %d%%", 91)

    [line] = _json_lines(capsys.readouterr().err)
    assert line["event"] == "disk at 91%"
    assert line["service"] == "budgets"
    assert line["level"] == "warning"


def test_console_format_is_human_readable(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(TelemetrySettings(log_format="console"), service="collector")

    get_logger("kubeopt.test").info("source.polled", pods=12)

    output = capsys.readouterr().err
    assert "source.polled" in output
    assert "pods=12" in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(output.splitlines()[0])
