"""``kubeopt-collector``: run the collector as its own process (distributed mode)."""

from __future__ import annotations

import asyncio
import gc

from kubeopt_collector.app import SERVICE, build
from kubeopt_collector.settings import CollectorSettings
from kubeopt_collector.simulator.scenario import ScenarioError
from kubeopt_common.plugins import PluginError
from kubeopt_common.runtime import SettingsError, load_settings, run_service
from kubeopt_common.telemetry.logging import configure_logging
from kubeopt_common.telemetry.tracing import configure_tracing

# Building a usage window allocates thousands of short-lived objects; with the default
# threshold (700) the cyclic GC runs constantly and re-scans them (measured: a third of the
# generation time on the demo). Objects built at start-up (the fleet) are frozen out of it.
GC_GEN0_THRESHOLD = 50_000


def main() -> None:
    try:
        settings = load_settings(CollectorSettings)
        configure_logging(settings.telemetry, service=SERVICE)
        configure_tracing(settings.telemetry, service=SERVICE)
        runtime = build(settings)
    except (SettingsError, ScenarioError, PluginError) as err:
        raise SystemExit(f"kubeopt-collector: {err}") from None
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
    asyncio.run(run_service(runtime))


if __name__ == "__main__":
    main()
