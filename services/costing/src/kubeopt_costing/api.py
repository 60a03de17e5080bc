"""HTTP routes of costing: thin — parse, call the service in a thread, shape the response."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from kubeopt_common.web.problems import bad_param
from kubeopt_costing.analytics import AllocationFilter
from kubeopt_costing.domain.aggregation import AggregateError, parse_aggregate
from kubeopt_costing.domain.windows import WindowError, parse_window
from kubeopt_costing.reports import allocation_response
from kubeopt_costing.schemas import AllocationResponse
from kubeopt_costing.service import CostingService


def build_router(service: CostingService) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["allocation"])

    @router.get(
        "/allocation",
        response_model=AllocationResponse,
        summary="Attributed cost over a window, grouped",
        description=(
            "Cost of containers (and `__idle__` per node) over `window`, grouped by `aggregate`. "
            "Each container is charged max(request, usage) per resource, scaled down on "
            "over-committed nodes so allocated + idle equals the node cost exactly."
        ),
    )
    async def allocation(
        window: Annotated[
            str,
            Query(
                description="30m, 1h, 24h, 7d, today, yesterday, week, "
                "lastweek, month, lastmonth, or 'start,end' (RFC 3339)"
            ),
        ],
        aggregate: Annotated[
            str,
            Query(
                description="cluster, namespace, controller_kind, "
                "controller, workload, pod, container, node, "
                "instance_type, capacity_type, zone, label:KEY; "
                "comma-separated to combine"
            ),
        ] = "namespace",
        cluster: Annotated[list[str] | None, Query(description="Only these clusters")] = None,
        namespace: Annotated[list[str] | None, Query(description="Only these namespaces")] = None,
        include_idle: Annotated[bool, Query(description="Include __idle__ rows")] = True,
    ) -> AllocationResponse:
        try:
            resolved = parse_window(window, now=datetime.now(UTC))
        except WindowError as err:
            raise bad_param("window", str(err)) from err
        try:
            keys = parse_aggregate(aggregate)
        except AggregateError as err:
            raise bad_param("aggregate", str(err)) from err
        where = AllocationFilter(tuple(cluster or ()), tuple(namespace or ()), include_idle)
        rows = await asyncio.to_thread(service.allocation, resolved, keys, where)
        return allocation_response(resolved, keys, rows)

    return router
