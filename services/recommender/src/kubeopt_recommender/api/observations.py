"""``/v1/observations`` and ``/v1/analyzers``: observed containers and the analyzer plugins."""

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.web.problems import Problem
from kubeopt_recommender import service
from kubeopt_recommender.analyzers.base import Analyzer
from kubeopt_recommender.schemas.observations import AnalyzersOut, ObservationOut, ObservationsOut
from kubeopt_recommender.settings import AnalysisSettings

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or invalid bearer token"},
    422: {"model": Problem, "description": "A parameter failed validation (named in it)"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such object (its id is named)"},
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Not allowed from the current state (named in it)"},
}


def observations_router(
    db: Database, *, analyzers: Sequence[Analyzer], analysis: AnalysisSettings
) -> APIRouter:
    """The ``/v1`` routes over the observations in ``db`` and the installed ``analyzers``."""
    router = APIRouter(prefix="/v1", tags=["observations"])
    analyzers_out = AnalyzersOut.build(analyzers)

    async def session() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(db.sessions) as s:
            yield s

    @router.get(
        "/analyzers",
        summary="Installed analyzers",
        description="Analyzers are plugins of the `kubeopt.analyzers` entry-point group.",
        response_model=AnalyzersOut,
        responses=PROBLEM_RESPONSES,
    )
    async def get_analyzers() -> AnalyzersOut:
        return analyzers_out

    @router.get(
        "/observations",
        summary="Observed containers and their usage history",
        description=(
            "One entry per (cluster, namespace, workload kind, workload, container), built "
            "from `usage.sampled` events, with every analyzer's findings."
        ),
        response_model=ObservationsOut,
        responses=PROBLEM_RESPONSES,
    )
    async def get_observations(
        db_session: Annotated[AsyncSession, Depends(session)],
        cluster: Annotated[str | None, Query(description="Only this cluster")] = None,
        namespace: Annotated[str | None, Query(description="Only this namespace")] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 100,
        offset: Annotated[int, Query(ge=0, description="Skip this many (paging)")] = 0,
    ) -> ObservationsOut:
        items = await service.observations(
            db_session,
            analyzers,
            min_history_hours=analysis.min_history_hours,
            limit=limit,
            offset=offset,
            cluster=cluster,
            namespace=namespace,
        )
        return ObservationsOut(observations=[ObservationOut.from_analyzed(i) for i in items])

    return router
