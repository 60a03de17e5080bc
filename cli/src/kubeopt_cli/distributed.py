"""``kubeopt up --service NAME``: one service in the foreground, configured by environment."""

from __future__ import annotations

import importlib
import sys

from kubeopt_cli.state import SERVICES

EXIT_BAD_INPUT = 2


def run_one(service: str) -> None:
    if service not in SERVICES:
        sys.stderr.write(f"error: unknown service {service!r} (one of {', '.join(SERVICES)})\n")
        sys.exit(EXIT_BAD_INPUT)
    module = importlib.import_module(f"kubeopt_{service}.__main__")
    module.main()
