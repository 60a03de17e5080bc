"""HTTP routes of the budgets service. Thin: validate, call the service, shape the answer."""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets import service
from kubeopt_budgets.domain import Period
from kubeopt_budgets.errors import (
    BudgetNameTakenError,
    BudgetNotFoundError,
    InvalidBudgetError,
    InvalidPeriodError,
)
from kubeopt_budgets.schemas import BudgetIn, BudgetOut, BudgetsOut, BudgetStatusOut, SpendReport
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.web.problems import InvalidParam, Problem, ProblemError, bad_param

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A parameter is invalid (named in invalid-params)"},
    401: {"model": Problem, "description": "Missing or invalid bearer token"},
    422: {"model": Problem, "description": "A parameter failed validation (named in it)"},
}
BUDGET_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    404: {"model": Problem, "description": "No budget has this id or name"},
    409: {"model": Problem, "description": "Another budget has this name"},
}
BudgetRef = Annotated[str, Path(description="Budget id or name")]


def _invalid(err: InvalidBudgetError) -> ProblemError:
    return ProblemError(
        422,
        "Invalid budget",
        f"{err.field}: {err}",
        invalid_params=[InvalidParam(name=err.field, reason=str(err))],
    )


def _not_found(err: BudgetNotFoundError) -> ProblemError:
    return ProblemError(404, "Budget not found", str(err))


def _conflict(err: BudgetNameTakenError) -> ProblemError:
    return ProblemError(
        409, "Name taken", str(err), invalid_params=[InvalidParam(name="name", reason=str(err))]
    )


def build_router(db: Database) -> APIRouter:
    """The ``/v1`` routes, reading and writing through ``db``."""
    router = APIRouter(prefix="/v1")

    async def session() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(db.sessions) as s:
            yield s

    @router.get(
        "/spend",
        tags=["spend"],
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

    _budget_routes(router, session)
    return router


def _budget_routes(router: APIRouter, session: Callable[[], AsyncIterator[AsyncSession]]) -> None:
    Session = Annotated[AsyncSession, Depends(session)]  # noqa: N806 - a type alias

    @router.post(
        "/budgets",
        tags=["budgets"],
        status_code=201,
        summary="Create a budget",
        description=(
            "Scopes select spend by cluster and namespace name patterns and by a label selector "
            "on namespace labels (from inventory snapshots). Evaluated on every `spend.updated`; "
            "each threshold emits `budget.threshold_crossed` once per period."
        ),
        response_model=BudgetOut,
        responses=BUDGET_RESPONSES,
    )
    async def create_budget(body: BudgetIn, db_session: Session) -> BudgetOut:
        now = datetime.now(UTC)
        try:
            spec = body.to_spec(budget_id=str(uuid.uuid4()), created_at=now)
            created = await service.create_budget(db_session, spec, now=now)
        except InvalidBudgetError as err:
            raise _invalid(err) from err
        except BudgetNameTakenError as err:
            raise _conflict(err) from err
        return BudgetOut.from_spec(created)

    @router.get(
        "/budgets",
        tags=["budgets"],
        summary="List budgets",
        response_model=BudgetsOut,
        responses=PROBLEM_RESPONSES,
    )
    async def list_budgets(db_session: Session) -> BudgetsOut:
        budgets = await service.list_budgets(db_session)
        return BudgetsOut(budgets=[BudgetOut.from_spec(b) for b in budgets])

    @router.get(
        "/budgets/{budget}",
        tags=["budgets"],
        summary="One budget",
        response_model=BudgetOut,
        responses=BUDGET_RESPONSES,
    )
    async def get_budget(budget: BudgetRef, db_session: Session) -> BudgetOut:
        try:
            return BudgetOut.from_spec(await service.get_budget(db_session, budget))
        except BudgetNotFoundError as err:
            raise _not_found(err) from err

    @router.put(
        "/budgets/{budget}",
        tags=["budgets"],
        summary="Replace a budget's definition (id and creation time are kept)",
        response_model=BudgetOut,
        responses=BUDGET_RESPONSES,
    )
    async def replace_budget(budget: BudgetRef, body: BudgetIn, db_session: Session) -> BudgetOut:
        now = datetime.now(UTC)
        try:
            current = await service.get_budget(db_session, budget)
            spec = body.to_spec(budget_id=current.id, created_at=current.created_at)
            replaced = await service.replace_budget(db_session, current.id, spec, now=now)
        except BudgetNotFoundError as err:
            raise _not_found(err) from err
        except InvalidBudgetError as err:
            raise _invalid(err) from err
        except BudgetNameTakenError as err:
            raise _conflict(err) from err
        return BudgetOut.from_spec(replaced)

    @router.delete(
        "/budgets/{budget}",
        tags=["budgets"],
        status_code=204,
        summary="Delete a budget (its past crossings stay in the event stream)",
        response_class=Response,
        responses=BUDGET_RESPONSES,
    )
    async def delete_budget(budget: BudgetRef, db_session: Session) -> Response:
        try:
            await service.delete_budget(db_session, budget)
        except BudgetNotFoundError as err:
            raise _not_found(err) from err
        return Response(status_code=204)

    @router.get(
        "/budgets/{budget}/status",
        tags=["budgets"],
        summary="Spend to date, forecast, remaining, burn rate, crossings and past periods",
        description=(
            "The forecast is trend plus day-of-week shape over up to 28 days of history, in the "
            "budget's time zone (see `forecast_method`)."
        ),
        response_model=BudgetStatusOut,
        responses=BUDGET_RESPONSES,
    )
    async def budget_status(
        budget: BudgetRef,
        db_session: Session,
        history: Annotated[int, Query(ge=0, le=36, description="Past periods to include")] = 6,
    ) -> BudgetStatusOut:
        try:
            status = await service.budget_status(
                db_session, budget, now=datetime.now(UTC), history_periods=history
            )
        except BudgetNotFoundError as err:
            raise _not_found(err) from err
        return BudgetStatusOut.from_status(status)
