"""``python -m bench [name ...]``: run the benchmarks (all by default), print and save JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bench import alert_latency, allocation_query, ingest, inventory_scale, quality

RESULTS = Path("bench-results")
BENCHMARKS: dict[str, Callable[[], Coroutine[Any, Any, dict[str, Any]]]] = {
    "ingest": ingest.run,
    "allocation_query": allocation_query.run,
    "alert_latency": alert_latency.run,
    "inventory_scale": inventory_scale.run,
    "quality": quality.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    RESULTS.mkdir(exist_ok=True)
    for name in args.names or list(BENCHMARKS):
        result = asyncio.run(BENCHMARKS[name]())
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        sys.stdout.write(f"{name}: {json.dumps(result)}\n  -> {path}\n")


if __name__ == "__main__":
    main()
