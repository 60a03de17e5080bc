"""Allocation invariants: Σ allocated + idle == node cost, exactly, idle never negative."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from kubeopt_common.events import ContainerSample, Node, Provider, UsageSampled
from kubeopt_costing.domain.allocation import IDLE, CostRows, price_batch
from kubeopt_costing.domain.price_book import PriceBook
from kubeopt_costing.domain.pricing import PriceOverride, ProviderCatalog, UnitPrices
from kubeopt_costing.domain.shares import allocate, scaled
from tests.builders import make_container_sample, make_node, make_usage_sampled

GIB = 1024**3
UNITS = UnitPrices(31_611_000, 4_237_000, 950_000_000, 6_655_000, 892_000, 308_000_000)


def book(hourly_nano_usd: int) -> PriceBook:
    catalog = ProviderCatalog(Provider.ONPREM, UNITS, {})
    return PriceBook({Provider.ONPREM: catalog}, [PriceOverride(hourly_nano_usd)])


def batch(
    nodes: list[tuple[Node, list[ContainerSample]]], *, window_seconds: int = 300
) -> UsageSampled:
    return make_usage_sampled(
        nodes,
        cluster="c1",
        provider=Provider.ONPREM,
        region="dc1",
        window_start=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        window_seconds=window_seconds,
    )


def container(name: str, cpu_req: int, cpu_use: int, mem_req: int, mem_use: int) -> ContainerSample:
    return make_container_sample(
        container=name,
        pod=f"p-{name}",
        cpu_request_millicores=cpu_req,
        cpu_usage_millicores=cpu_use,
        memory_request_bytes=mem_req,
        memory_usage_bytes=mem_use,
    )


def node_usage(
    name: str, cpu: int, mem: int, containers: list[ContainerSample]
) -> tuple[Node, list[ContainerSample]]:
    node = make_node(
        name=name, instance_type="custom", cpu_capacity_millicores=cpu, memory_capacity_bytes=mem
    )
    return node, containers


def per_node_totals(rows: CostRows) -> dict[str, int]:
    totals: dict[str, int] = {}
    for node, cost in zip(rows.node, rows.total_cost_nano_usd, strict=True):
        totals[node] = totals.get(node, 0) + cost
    return totals


def test_allocate_under_capacity_leaves_the_rest_idle() -> None:
    shares, idle = allocate(1_000, [100, 300], capacity=1_000)
    assert shares == [100, 300]
    assert idle == 600


def test_allocate_over_capacity_scales_down_and_idle_is_rounding_only() -> None:
    shares, idle = allocate(1_000, [1_500, 500], capacity=1_000)
    assert shares == [750, 250]
    assert idle == 0


def test_allocate_resource_the_node_does_not_have() -> None:
    assert allocate(0, [1, 2], capacity=0) == ([0, 0], 0)


def test_scaled_reports_capacity_share_when_overcommitted() -> None:
    assert scaled(1_500, 1_000, 2_000) == 750
    assert scaled(300, 1_000, 800) == 300


def test_overcommitted_node_has_no_negative_idle_and_sums_exactly() -> None:
    hourly = 192_000_000
    usage = node_usage(
        "n1",
        4_000,
        16 * GIB,
        [
            container(
                "a", 1_000, 3_000, 4 * GIB, 12 * GIB
            ),  # usage above request, node overcommitted
            container("b", 2_000, 500, 8 * GIB, 2 * GIB),
        ],
    )
    rows = CostRows()
    price_batch(batch([usage]), book(hourly), rows)
    node_cost = hourly * 300 // 3600
    assert per_node_totals(rows) == {"n1": node_cost}
    idle = [c for ns, c in zip(rows.namespace, rows.cpu_cost_nano_usd, strict=True) if ns == IDLE]
    assert idle[0] >= 0
    # CPU bases 3000 + 2000 > 4000: scaled, so allocated CPU equals capacity.
    assert sum(rows.cpu_allocated_millicores[:2]) == 4_000


containers_st = st.lists(
    st.builds(
        container,
        st.just("c"),
        st.integers(0, 8_000),
        st.integers(0, 16_000),
        st.integers(0, 64 * GIB),
        st.integers(0, 128 * GIB),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(
    nodes=st.lists(
        st.tuples(st.integers(250, 64_000), st.integers(GIB // 4, 512 * GIB), containers_st),
        min_size=1,
        max_size=5,
    ),
    hourly=st.integers(0, 50_000_000_000),
    window_seconds=st.integers(1, 3600),
)
def test_every_node_is_fully_attributed(
    nodes: list[tuple[int, int, list[ContainerSample]]], hourly: int, window_seconds: int
) -> None:
    usages = [node_usage(f"n{i}", cpu, mem, cs) for i, (cpu, mem, cs) in enumerate(nodes)]
    rows = CostRows()
    price_batch(batch(usages, window_seconds=window_seconds), book(hourly), rows)
    expected = hourly * window_seconds // 3600
    assert per_node_totals(rows) == {u[0].name: expected for u in usages}
    for column in (rows.cpu_cost_nano_usd, rows.memory_cost_nano_usd, rows.gpu_cost_nano_usd):
        assert min(column) >= 0
    for node_name in per_node_totals(rows):
        cpu = [
            a
            for n, ns, a in zip(
                rows.node, rows.namespace, rows.cpu_allocated_millicores, strict=True
            )
            if n == node_name and ns != IDLE
        ]
        capacity = next(u[0].cpu_capacity_millicores for u in usages if u[0].name == node_name)
        assert sum(cpu) <= capacity
