"""Sharing idle and shared costs never creates or loses a nano-dollar."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kubeopt_costing.domain.sharing import Group, distribute, merge, share_costs, share_idle


def group(
    key: str, node: str, *, cpu: int, mem: int = 0, idle: bool = False, shared: bool = False
) -> Group:
    return Group(
        (key,),
        {"cpu_cost_nano_usd": cpu, "memory_cost_nano_usd": mem, "total_cost_nano_usd": cpu + mem},
        node=node,
        idle=idle,
        shared=shared,
    )


def total(groups: list[Group]) -> int:
    return sum(g.measures["total_cost_nano_usd"] for g in groups)


@given(
    amount=st.integers(0, 10**15), weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=50)
)
def test_distribute_is_exact(amount: int, weights: list[int]) -> None:
    shares = distribute(amount, weights)
    assert sum(shares) == amount
    assert all(s >= 0 for s in shares)
    if sum(weights):
        for share, weight in zip(shares, weights, strict=True):
            assert abs(share - amount * weight / sum(weights)) < 1 + 1e-9 * amount


def test_idle_goes_to_the_allocations_of_its_node_by_resource_weight() -> None:
    groups = [
        group("a", "n1", cpu=300, mem=100),
        group("b", "n1", cpu=100, mem=300),
        group("__idle__", "n1", cpu=400, mem=400, idle=True),
        group("c", "n2", cpu=50),
        group("__idle__", "n2", cpu=0, mem=10, idle=True),  # n2 has no memory allocations
    ]
    before = total(groups)
    shared = merge(share_idle(groups))
    assert shared[("a",)].measures["cpu_cost_nano_usd"] == 600
    assert shared[("a",)].measures["memory_cost_nano_usd"] == 200
    assert shared[("b",)].measures["memory_cost_nano_usd"] == 600
    assert shared[("__idle__",)].measures["total_cost_nano_usd"] == 10  # nothing to carry it
    assert sum(g.measures["total_cost_nano_usd"] for g in shared.values()) == before


def test_shared_namespaces_spread_weighted_or_evenly() -> None:
    groups = [
        group("kube-system", "", cpu=90, shared=True),
        group("a", "", cpu=100),
        group("b", "", cpu=200),
    ]
    weighted = merge(share_costs(groups, split="weighted"))
    assert (
        weighted[("a",)].measures["total_cost_nano_usd"],
        weighted[("b",)].measures["total_cost_nano_usd"],
    ) == (130, 260)
    fresh = [
        group("kube-system", "", cpu=90, shared=True),
        group("a", "", cpu=100),
        group("b", "", cpu=200),
    ]
    even = merge(share_costs(fresh, split="even"))
    assert (
        even[("a",)].measures["total_cost_nano_usd"],
        even[("b",)].measures["total_cost_nano_usd"],
    ) == (145, 245)
    assert ("kube-system",) not in even


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["n1", "n2", "n3"]),
            st.integers(0, 10**9),
            st.integers(0, 10**9),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_sharing_conserves_the_total(rows: list[tuple[str, int, int, bool]]) -> None:
    groups = [
        group(f"g{i}", node, cpu=cpu, mem=mem, idle=idle)
        for i, (node, cpu, mem, idle) in enumerate(rows)
    ]
    before = total(groups)
    after = share_costs(share_idle(groups), split="weighted")
    assert total(after) == before
