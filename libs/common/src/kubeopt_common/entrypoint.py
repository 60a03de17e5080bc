"""The ``main()`` every service shares: settings → logging/tracing → build → run."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TypeVar

from kubeopt_common.runtime import ServiceRuntime, SettingsError, load_settings, run_service
from kubeopt_common.settings import ServiceSettings
from kubeopt_common.telemetry.logging import configure_logging, get_logger
from kubeopt_common.telemetry.tracing import configure_tracing

S = TypeVar("S", bound=ServiceSettings)
EXIT_BAD_INPUT = 2


def run_main(service: str, settings_cls: type[S], build: Callable[[S], ServiceRuntime]) -> None:
    """Run one service until SIGINT/SIGTERM. Bad settings or files: one line, exit code 2."""
    try:
        settings = load_settings(settings_cls)
    except SettingsError as err:
        sys.stderr.write(f"kubeopt-{service}: {err}\n")
        sys.exit(EXIT_BAD_INPUT)
    configure_logging(settings.telemetry, service=service)
    configure_tracing(settings.telemetry, service=service)
    try:
        runtime = build(settings)
    except (ValueError, OSError) as err:
        sys.stderr.write(f"kubeopt-{service}: {err}\n")
        sys.exit(EXIT_BAD_INPUT)
    try:
        asyncio.run(run_service(runtime))
    except KeyboardInterrupt:
        get_logger(__name__).info("service.interrupted")
