"""The ``main()`` every service shares: settings → logging/tracing → build → run."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable
from typing import TypeVar

from kubeopt_common.runtime import ServiceRuntime, SettingsError, load_settings, run_service
from kubeopt_common.settings import ServiceSettings
from kubeopt_common.telemetry.logging import configure_logging, get_logger
from kubeopt_common.telemetry.tracing import configure_tracing

S = TypeVar("S", bound=ServiceSettings)
EXIT_BAD_INPUT = 2
# Telemetry batches allocate millions of short-lived objects (decoded columns, cost rows); with
# the default threshold (700) the collector walks every live object several times per batch.
# Measured on costing's ingest path: 4.6 → 1.6 µs per sample to decode, 89k → 133k samples/s.
GC_THRESHOLDS = (100_000, 50, 1000)


def run_main(
    service: str,
    settings_cls: type[S],
    build: Callable[[S], ServiceRuntime],
    *,
    freeze_gc: bool = False,
) -> None:
    """Run one service until SIGINT/SIGTERM. Bad settings or files: one line, exit code 2.

    ``freeze_gc`` moves everything built at start-up (e.g. the simulator's fleet) out of the
    collector's reach, so later collections only walk new objects.
    """
    try:
        settings = load_settings(settings_cls)
    except SettingsError as err:
        sys.stderr.write(f"kubeopt-{service}: {err}\n")
        sys.exit(EXIT_BAD_INPUT)
    gc.set_threshold(*GC_THRESHOLDS)
    configure_logging(settings.telemetry, service=service)
    configure_tracing(settings.telemetry, service=service)
    try:
        runtime = build(settings)
    except (ValueError, LookupError, OSError) as err:
        sys.stderr.write(f"kubeopt-{service}: {err}\n")
        sys.exit(EXIT_BAD_INPUT)
    if freeze_gc:
        gc.collect()
        gc.freeze()
    try:
        asyncio.run(run_service(runtime))
    except KeyboardInterrupt:
        get_logger(__name__).info("service.interrupted")
