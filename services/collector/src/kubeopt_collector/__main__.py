"""``python -m kubeopt_collector``: run the collector as its own process (distributed mode)."""

from __future__ import annotations

from kubeopt_collector.app import SERVICE, build
from kubeopt_collector.settings import CollectorSettings
from kubeopt_common.entrypoint import run_main


def main() -> None:
    # The fleet is built once at start-up and never changes: freeze it out of the GC's scans.
    run_main(SERVICE, CollectorSettings, build, freeze_gc=True)


if __name__ == "__main__":
    main()
