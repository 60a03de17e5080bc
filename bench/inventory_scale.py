"""Inventory source at scale: a full sync of 5,000 nodes and 150,000 pods through the real
``kubernetes`` client, served by the fake API server in another process.

``full_sync_s`` is the time from start to the first full ``inventory.snapshotted`` serialised
(every kind listed in pages of 500, parsed, owner chains resolved, parts packed under 1 MiB);
publishing goes to a counting sink, not NATS. ``peak_rss_mib`` is the collector process's
peak resident set (the sync runs in a child process, so nothing else counts).
Targets: < 60 s and < 1 GiB.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Sequence
from typing import Any

import orjson

NODES = 5000
PODS = 150_000


async def _sync(url: str) -> dict[str, Any]:
    from kubeopt_collector.domain.inventory import ClusterInventory
    from kubeopt_collector.domain.snapshot import SnapshotHeader
    from kubeopt_collector.health import SourceHealth
    from kubeopt_collector.inventory_source import InventoryOptions, KubernetesInventorySource
    from kubeopt_collector.kube import KubeClient, KubeConnection
    from kubeopt_collector.publishing import OutgoingMessage
    from kubeopt_common.events import Provider

    published: list[int] = []
    expected: list[int] = []
    done = asyncio.Event()

    async def sink(messages: Sequence[OutgoingMessage]) -> None:
        if not expected:
            expected.append(int(orjson.loads(messages[0].payload)["parts"]))
        published.extend(len(m.payload) for m in messages)
        if len(published) >= expected[0]:
            done.set()

    inventory = ClusterInventory()
    source = KubernetesInventorySource(
        client_factory=lambda: KubeClient(KubeConnection(mode="token", host=url)),
        header=SnapshotHeader("scale", "bench", Provider.AWS, "us-east-1"),
        inventory=inventory,
        health=SourceHealth("scale", "kubernetes"),
        publish=sink,
        options=InventoryOptions(page_size=500, watch_timeout_s=60, resync_s=3600),
    )
    started = time.perf_counter()
    task = asyncio.create_task(source.run())
    await done.wait()
    elapsed = time.perf_counter() - started
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return {
        "nodes": sum(1 for _ in inventory.nodes()),
        "pods": sum(1 for _ in inventory.pods()),
        "full_sync_s": round(elapsed, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "snapshot_parts": len(published),
        "snapshot_mib": round(sum(published) / 2**20, 1),
    }


def _child(url: str) -> None:
    sys.stdout.write(json.dumps(asyncio.run(_sync(url))) + "\n")


async def run() -> dict[str, Any]:
    """Serve the fleet from one process, sync it from another; the sync's measurements."""
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.collector.kube_fleet",
        "--nodes",
        str(NODES),
        "--pods",
        str(PODS),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        url = (await server.stdout.readline()).decode().strip()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            f"from bench.inventory_scale import _child; _child({url!r})",
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"the inventory sync failed (exit {child.returncode})")
        result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        if server.stdin is not None:
            server.stdin.close()
        await asyncio.wait_for(server.wait(), timeout=30)
    result["targets"] = {"full_sync_s": 60, "peak_rss_mib": 1024}
    return result


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(run())) + "\n")
