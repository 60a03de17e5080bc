"""HTTP routes of costing: thin — parse, call the service in a thread, shape the response."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from kubeopt_common.web.problems import bad_param
from kubeopt_costing.analytics import AllocationQuery
from kubeopt_costing.analytics.anomalies import AnomalyStore
from kubeopt_costing.domain.aggregation import AggregateError, parse_aggregate, parse_label_selector
from kubeopt_costing.domain.windows import Window, WindowError, parse_step, parse_window
from kubeopt_costing.network import NetworkService
from kubeopt_costing.reports import (
    allocation_response,
    anomalies_response,
    assets_response,
    carbon_response,
    network_response,
    trends_response,
)
from kubeopt_costing.schemas import (
    AllocationResponse,
    AnomaliesResponse,
    AssetsResponse,
    CarbonResponse,
    NetworkResponse,
    TrendsResponse,
)
from kubeopt_costing.service import CostingService

WINDOW_HELP = (
    "30m, 1h, 24h, 7d, today, yesterday, week, lastweek, month, lastmonth, or 'start,end' "
    "(RFC 3339)"
)
AGGREGATE_HELP = (
    "cluster, namespace, controller_kind, controller, workload, pod, container, node, "
    "instance_type, capacity_type, zone, label:KEY; comma-separated to combine"
)
Many = Annotated[list[str] | None, Query()]


def window_param(text: str) -> Window:
    try:
        return parse_window(text, now=datetime.now(UTC))
    except WindowError as err:
        raise bad_param("window", str(err)) from err


def selectors(name: str, values: list[str] | None) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(parse_label_selector(v) for v in values or ())
    except AggregateError as err:
        raise bad_param(name, str(err)) from err


def step_param(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_step(text)
    except WindowError as err:
        raise bad_param("step", str(err)) from err


def build_router(service: CostingService) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["allocation"])

    @router.get(
        "/allocation",
        response_model=AllocationResponse,
        summary="Attributed cost over a window, grouped",
        description=(
            "Cost of containers (and `__idle__` per node) over `window`, grouped by `aggregate`. "
            "Each container is charged max(request, usage) per resource, scaled down on "
            "over-committed nodes so allocated + idle equals the node cost exactly. "
            "`share_idle` spreads each node's idle cost over its allocations by cost weight; "
            "`share_namespaces` / `share_labels` spread shared costs over the rest."
        ),
    )
    async def allocation(
        window: Annotated[str, Query(description=WINDOW_HELP)],
        aggregate: Annotated[str, Query(description=AGGREGATE_HELP)] = "namespace",
        cluster: Annotated[list[str] | None, Query(description="Only these clusters")] = None,
        namespace: Annotated[list[str] | None, Query(description="Only these namespaces")] = None,
        node: Annotated[list[str] | None, Query(description="Only these nodes")] = None,
        workload: Annotated[list[str] | None, Query(description="Only these workloads")] = None,
        label: Annotated[
            list[str] | None, Query(description="Only pods with label key:value")
        ] = None,
        include_idle: Annotated[bool, Query(description="Include __idle__ rows")] = True,
        share_idle: Annotated[bool, Query(description="Spread idle over allocations")] = False,
        share_namespaces: Annotated[
            list[str] | None, Query(description="Namespaces whose cost is shared by all others")
        ] = None,
        share_labels: Annotated[
            list[str] | None, Query(description="Pods with label key:value are shared cost")
        ] = None,
        share_split: Annotated[
            Literal["weighted", "even"], Query(description="How shared cost is spread")
        ] = "weighted",
        step: Annotated[str | None, Query(description="Time series step, e.g. 1h or 1d")] = None,
    ) -> AllocationResponse:
        resolved = window_param(window)
        try:
            keys = parse_aggregate(aggregate)
        except AggregateError as err:
            raise bad_param("aggregate", str(err)) from err
        step_s = step_param(step)
        query = AllocationQuery(
            resolved,
            keys,
            clusters=tuple(cluster or ()),
            namespaces=tuple(namespace or ()),
            nodes=tuple(node or ()),
            workloads=tuple(workload or ()),
            labels=selectors("label", label),
            include_idle=include_idle,
            share_idle=share_idle,
            shared_namespaces=tuple(share_namespaces or ()),
            shared_labels=selectors("share_labels", share_labels),
            share_split=share_split,
            step_s=step_s,
        )
        result = await asyncio.to_thread(service.allocate, query)
        return allocation_response(resolved, keys, result, step_s=step_s)

    @router.get(
        "/carbon",
        response_model=CarbonResponse,
        tags=["carbon"],
        summary="Energy and CO2e per group (CCF method), average and marginal kept apart",
    )
    async def carbon(
        window: Annotated[str, Query(description=WINDOW_HELP)],
        aggregate: Annotated[str, Query(description=AGGREGATE_HELP)] = "namespace",
        cluster: Annotated[list[str] | None, Query(description="Only these clusters")] = None,
    ) -> CarbonResponse:
        resolved = window_param(window)
        try:
            keys = parse_aggregate(aggregate)
        except AggregateError as err:
            raise bad_param("aggregate", str(err)) from err
        query = AllocationQuery(resolved, keys, clusters=tuple(cluster or ()))
        result, network_ug = await asyncio.to_thread(service.carbon, query)
        return carbon_response(resolved, keys, result, network_ug)

    @router.get(
        "/assets",
        response_model=AssetsResponse,
        tags=["assets"],
        summary="Nodes (cost, idle cost, capacity type, how priced) and cluster management fees",
    )
    async def assets(
        window: Annotated[str, Query(description=WINDOW_HELP)],
        cluster: Annotated[list[str] | None, Query(description="Only these clusters")] = None,
    ) -> AssetsResponse:
        resolved, only = window_param(window), tuple(cluster or ())
        nodes = await asyncio.to_thread(service.node_assets, resolved, clusters=only)
        fees = await asyncio.to_thread(service.cluster_fees, resolved, clusters=only)
        return assets_response(resolved, nodes, fees)

    @router.get(
        "/trends",
        response_model=TrendsResponse,
        tags=["allocation"],
        summary="Cost per group over time, and its change against the previous window",
    )
    async def trends(
        window: Annotated[str, Query(description=WINDOW_HELP)] = "7d",
        aggregate: Annotated[str, Query(description=AGGREGATE_HELP)] = "namespace",
        step: Annotated[str, Query(description="Series step, e.g. 1h or 1d")] = "1d",
        cluster: Annotated[list[str] | None, Query(description="Only these clusters")] = None,
    ) -> TrendsResponse:
        resolved = window_param(window)
        try:
            keys = parse_aggregate(aggregate)
        except AggregateError as err:
            raise bad_param("aggregate", str(err)) from err
        step_s = step_param(step) or 86_400
        query = AllocationQuery(
            resolved, keys, clusters=tuple(cluster or ()), include_idle=False, step_s=step_s
        )
        current, previous = await asyncio.to_thread(service.trends, query)
        return trends_response(resolved, keys, current, previous, step_s=step_s, step_text=step)

    return router


def build_network_router(network: NetworkService) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["network"])

    @router.get(
        "/network",
        response_model=NetworkResponse,
        summary="Network cost: per class, per sending workload, or per workload pair",
        description=(
            "Flows are classified in-zone / cross-zone / cross-region / internet from the real "
            "pod or node at each end, priced per provider and attributed to the sender."
        ),
    )
    async def network_cost(
        window: Annotated[str, Query(description=WINDOW_HELP)],
        group: Annotated[
            Literal["class", "source", "pair", "namespace", "cluster"],
            Query(description="class, source (namespace/workload), pair, namespace or cluster"),
        ] = "class",
        cluster: Annotated[list[str] | None, Query(description="Only these clusters")] = None,
    ) -> NetworkResponse:
        resolved = window_param(window)
        rows = await asyncio.to_thread(
            network.report, resolved, group, clusters=tuple(cluster or ())
        )
        return network_response(resolved, group, rows)

    return router


def build_anomaly_router(store: AnomalyStore) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["anomalies"])

    @router.get(
        "/anomalies",
        response_model=AnomaliesResponse,
        summary="Spend anomalies per namespace and workload, as a timeline",
        description=(
            "Hours whose attributed cost was far from the seasonal baseline (same hour of the "
            "week over the previous weeks, robust statistics), spikes and drops."
        ),
    )
    async def anomalies(
        window: Annotated[str, Query(description=WINDOW_HELP)] = "7d",
        cluster: Annotated[list[str] | None, Query(description="Only these clusters")] = None,
        namespace: Annotated[list[str] | None, Query(description="Only these namespaces")] = None,
        severity: Annotated[
            list[Literal["info", "warning", "critical"]] | None,
            Query(description="Only these severities"),
        ] = None,
    ) -> AnomaliesResponse:
        resolved = window_param(window)
        records = await asyncio.to_thread(
            store.timeline,
            resolved,
            clusters=tuple(cluster or ()),
            namespaces=tuple(namespace or ()),
            severities=tuple(severity or ()),
        )
        return anomalies_response(resolved, records)

    return router
