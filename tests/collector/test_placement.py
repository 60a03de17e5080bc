from __future__ import annotations

from kubeopt_collector.simulator.placement import NodeSlot, Scheduler

GIB = 2**30


def nodes(*zones: str, cpu: int = 4000, tainted_pool: str | None = None) -> list[NodeSlot]:
    return [NodeSlot(f"n{i}", "general", zone, cpu, 16 * GIB) for i, zone in enumerate(zones)] + (
        [NodeSlot("t0", tainted_pool, zones[0], cpu, 16 * GIB, tainted=True)]
        if tainted_pool
        else []
    )


def test_replicas_spread_over_zones() -> None:
    scheduler = Scheduler(nodes("a", "a", "b", "b", "c", "c"))
    placed = [
        scheduler.place(cpu_millicores=100, memory_bytes=GIB, pool=None, replica=r, zone_offset=0)
        for r in range(3)
    ]
    assert placed == [0, 2, 4]  # first node of zones a, b, c


def test_first_fit_then_next_node_in_the_zone() -> None:
    scheduler = Scheduler(nodes("a", "a"))
    first = scheduler.place(
        cpu_millicores=3000, memory_bytes=GIB, pool=None, replica=0, zone_offset=0
    )
    second = scheduler.place(
        cpu_millicores=3000, memory_bytes=GIB, pool=None, replica=1, zone_offset=0
    )
    assert (first, second) == (0, 1)


def test_overcommit_goes_to_the_least_loaded_node() -> None:
    scheduler = Scheduler(nodes("a", "b"))
    for replica in range(2):
        scheduler.place(
            cpu_millicores=3500, memory_bytes=GIB, pool=None, replica=replica, zone_offset=0
        )
    third = scheduler.place(
        cpu_millicores=3500, memory_bytes=GIB, pool=None, replica=2, zone_offset=0
    )
    assert third == 0
    assert scheduler.cpu_committed_millicores == (7000, 3500)  # more than the 4000 capacity


def test_unpinned_pods_avoid_tainted_pools_and_pinned_pods_use_them() -> None:
    scheduler = Scheduler(nodes("a", tainted_pool="gpu"))
    unpinned = [
        scheduler.place(cpu_millicores=100, memory_bytes=1, pool=None, replica=r, zone_offset=0)
        for r in range(5)
    ]
    assert set(unpinned) == {0}
    assert (
        scheduler.place(cpu_millicores=1, memory_bytes=1, pool="gpu", replica=0, zone_offset=0) == 1
    )


def test_pool_without_nodes_leaves_the_pod_pending() -> None:
    scheduler = Scheduler(nodes("a"))
    assert (
        scheduler.place(cpu_millicores=1, memory_bytes=1, pool="none", replica=0, zone_offset=0)
        is None
    )


def test_daemon_pods_go_to_every_node_of_the_pool_including_tainted() -> None:
    scheduler = Scheduler(nodes("a", "b", tainted_pool="gpu"))
    assert scheduler.place_daemon(cpu_millicores=10, memory_bytes=1, pool=None) == [0, 1, 2]
    assert scheduler.place_daemon(cpu_millicores=10, memory_bytes=1, pool="gpu") == [2]
