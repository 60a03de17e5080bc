"""``/v1/runs``: start an optimization run, follow its progress and stats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.web.problems import ProblemError
from kubeopt_recommender.api.observations import NOT_FOUND, PROBLEM_RESPONSES
from kubeopt_recommender.domain.rightsizing import PolicyProfile
from kubeopt_recommender.repository import runs as runs_repo
from kubeopt_recommender.runner import RunExecutor
from kubeopt_recommender.schemas.recommendations import RunIn, RunOut, RunsOut
from kubeopt_recommender.service import runs
from kubeopt_recommender.service.runs import RunScope, Trigger


def runs_router(db: Database, executor: RunExecutor, *, default_policy: PolicyProfile) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["runs"])

    @router.post(
        "/runs",
        summary="Start an optimization run",
        description="Runs in the background over the scope; `GET /v1/runs/{id}` shows progress "
        "and stats (created, updated, and per reason how many targets got no recommendation). "
        "A re-run updates the open recommendation of a target instead of adding another.",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=RunOut,
        responses=PROBLEM_RESPONSES,
    )
    async def start(body: RunIn | None = None) -> RunOut:
        given = body or RunIn()
        if not given.kinds:
            raise ProblemError(422, "Invalid request", "kinds: give at least one kind")
        scope = RunScope(given.cluster, given.namespace, tuple(dict.fromkeys(given.kinds)))
        run_id = await executor.create_and_submit(
            scope, policy=given.policy or default_policy, trigger=Trigger.API
        )
        async with unit_of_work(db.sessions) as session:
            return RunOut.from_row(await runs.get_run(session, run_id))

    @router.get(
        "/runs",
        summary="Recent runs, newest first",
        response_model=RunsOut,
        responses=PROBLEM_RESPONSES,
    )
    async def recent(limit: Annotated[int, Query(ge=1, le=500)] = 20) -> RunsOut:
        async with unit_of_work(db.sessions) as session:
            rows = await runs_repo.recent(session, limit=limit)
            return RunsOut(runs=[RunOut.from_row(r) for r in rows])

    @router.get(
        "/runs/{run_id}",
        summary="One run: progress and stats",
        response_model=RunOut,
        responses={**PROBLEM_RESPONSES, **NOT_FOUND},
    )
    async def show(run_id: Annotated[str, Path(description="e.g. run-3f9a0c1b2d4e")]) -> RunOut:
        async with unit_of_work(db.sessions) as session:
            try:
                return RunOut.from_row(await runs.get_run(session, run_id))
            except runs.RunNotFoundError as err:
                raise ProblemError(404, "Run not found", str(err)) from err

    return router
