"""HTTP routes of the budgets service. Thin: validate, call the service, shape the answer."""

from collections.abc import AsyncIterator
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets import service
from kubeopt_budgets.domain import Period
from kubeopt_budgets.errors import InvalidPeriodError
from kubeopt_budgets.schemas import SpendReport
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.web.problems import Problem, bad_param

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A parameter is invalid (named in invalid-params)"},
    401: {"model": Problem, "description": "Missing or invalid bearer token"},
    422: {"model": Problem, "description": "A parameter failed validation"},
}


def build_router(db: Database) -> APIRouter:
    """The ``/v1`` routes, reading through ``db``."""
    router = APIRouter(prefix="/v1", tags=["spend"])

    async def session() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(db.sessions) as s:
            yield s

    @router.get(
        "/spend",
        summary="Spend per namespace over a period",
        description=(
            "Sums the latest known running total of every spend window whose start lies in "
            "`[start, end)`, per (cluster, namespace). Amounts are exact: integers in nano-USD "
            "and decimal USD strings."
        ),
        response_model=SpendReport,
        responses=PROBLEM_RESPONSES,
    )
    async def get_spend(
        start: Annotated[
            AwareDatetime, Query(description="Period start, RFC 3339 with offset (inclusive)")
        ],
        end: Annotated[
            AwareDatetime, Query(description="Period end, RFC 3339 with offset (exclusive)")
        ],
        db_session: Annotated[AsyncSession, Depends(session)],
        cluster: Annotated[str | None, Query(description="Only this cluster")] = None,
        namespace: Annotated[str | None, Query(description="Only this namespace")] = None,
    ) -> SpendReport:
        try:
            period = Period(start.astimezone(UTC), end.astimezone(UTC))
        except InvalidPeriodError as err:
            raise bad_param("end", str(err)) from err
        summaries = await service.spend_summary(
            db_session, period, cluster=cluster, namespace=namespace
        )
        return SpendReport.build(start=period.start, end=period.end, summaries=summaries)

    return router
