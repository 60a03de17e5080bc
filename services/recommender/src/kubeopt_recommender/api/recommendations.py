"""``/v1/recommendations`` (list, show, lifecycle actions) and ``/v1/savings``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import Event, RecommendationKind, RecommendationState
from kubeopt_common.web.problems import ProblemError
from kubeopt_recommender.api.observations import CONFLICT, NOT_FOUND, PROBLEM_RESPONSES
from kubeopt_recommender.domain.lifecycle import IllegalTransitionError
from kubeopt_recommender.repository import recommendations as repo
from kubeopt_recommender.repository.recommendations import ListFilter, SortKey
from kubeopt_recommender.schemas.recommendations import (
    RecommendationOut,
    RecommendationsOut,
    SavingsOut,
    SnoozeIn,
    TransitionIn,
)
from kubeopt_recommender.service import recommendations as recs
from kubeopt_recommender.service.verification import mark_applied

S = RecommendationState
Publish = Callable[[Sequence[Event]], Awaitable[object]]
RecId = Annotated[str, Path(description="Recommendation id, e.g. rec-3f9a0c1b2d4e")]


@dataclass(frozen=True)
class LifecycleDeps:
    db: Database
    publish: Publish
    verification_window: timedelta


def _not_found(err: recs.RecommendationNotFoundError) -> ProblemError:
    return ProblemError(404, "Recommendation not found", str(err))


def _conflict(err: IllegalTransitionError) -> ProblemError:
    return ProblemError(409, f"Recommendation is {err.current.value}", str(err))


def recommendations_router(deps: LifecycleDeps) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["recommendations"])
    db = deps.db

    @router.get(
        "/recommendations",
        summary="List recommendations",
        description="Filter by scope, kind and state; sort by savings, confidence or time.",
        response_model=RecommendationsOut,
        responses=PROBLEM_RESPONSES,
    )
    async def list_recommendations(
        cluster: Annotated[str | None, Query()] = None,
        namespace: Annotated[str | None, Query()] = None,
        workload: Annotated[str | None, Query()] = None,
        kind: Annotated[list[RecommendationKind] | None, Query(description="Repeatable")] = None,
        state: Annotated[list[RecommendationState] | None, Query(description="Repeatable")] = None,
        min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
        sort: Annotated[SortKey, Query()] = "savings",
        order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> RecommendationsOut:
        f = ListFilter(
            cluster=cluster,
            namespace=namespace,
            workload=workload,
            kinds=[k.value for k in kind or []],
            states=[s.value for s in state or []],
            min_confidence=min_confidence,
        )
        async with unit_of_work(db.sessions) as session:
            rows, total = await repo.list_page(
                session, f, sort=sort, descending=order == "desc", limit=limit, offset=offset
            )
            items = [RecommendationOut.from_row(r) for r in rows]
        return RecommendationsOut(items=items, total=total, limit=limit, offset=offset)

    @router.get(
        "/recommendations/{recommendation_id}",
        summary="One recommendation with its history and patch",
        response_model=RecommendationOut,
        responses={**PROBLEM_RESPONSES, **NOT_FOUND},
    )
    async def show(recommendation_id: RecId) -> RecommendationOut:
        async with unit_of_work(db.sessions) as session:
            try:
                row = await recs.get(session, recommendation_id)
            except recs.RecommendationNotFoundError as err:
                raise _not_found(err) from err
            history = await repo.transitions(session, row.id)
            return RecommendationOut.from_row(row, history)

    async def act(
        recommendation_id: str, target: S, body: TransitionIn, *, snooze_days: float | None = None
    ) -> RecommendationOut:
        now = datetime.now(UTC)
        async with unit_of_work(db.sessions) as session:
            try:
                row = await recs.get(session, recommendation_id, lock=True)
                if target is S.APPLIED:
                    event = await mark_applied(
                        session,
                        row,
                        actor=body.actor,
                        comment=body.comment,
                        now=now,
                        window=deps.verification_window,
                    )
                else:
                    if snooze_days is not None:
                        row.snoozed_until = now + timedelta(days=snooze_days)
                    event = recs.move(
                        session, row, target, actor=body.actor, comment=body.comment, now=now
                    )
            except recs.RecommendationNotFoundError as err:
                raise _not_found(err) from err
            except IllegalTransitionError as err:
                raise _conflict(err) from err
            history = await repo.transitions(session, row.id)
            out = RecommendationOut.from_row(row, history)
        await deps.publish([event])
        return out

    responses = {**PROBLEM_RESPONSES, **NOT_FOUND, **CONFLICT}

    @router.post(
        "/recommendations/{recommendation_id}/approve",
        summary="Approve",
        response_model=RecommendationOut,
        responses=responses,
    )
    async def approve(
        recommendation_id: RecId, body: TransitionIn | None = None
    ) -> RecommendationOut:
        return await act(recommendation_id, S.APPROVED, body or TransitionIn())

    @router.post(
        "/recommendations/{recommendation_id}/reject",
        summary="Reject",
        response_model=RecommendationOut,
        responses=responses,
    )
    async def reject(
        recommendation_id: RecId, body: TransitionIn | None = None
    ) -> RecommendationOut:
        return await act(recommendation_id, S.REJECTED, body or TransitionIn())

    @router.post(
        "/recommendations/{recommendation_id}/snooze",
        summary="Snooze for some days",
        response_model=RecommendationOut,
        responses=responses,
    )
    async def snooze(recommendation_id: RecId, body: SnoozeIn | None = None) -> RecommendationOut:
        given = body or SnoozeIn()
        return await act(recommendation_id, S.SNOOZED, given, snooze_days=given.days)

    @router.post(
        "/recommendations/{recommendation_id}/reopen",
        summary="Reopen",
        response_model=RecommendationOut,
        responses=responses,
    )
    async def reopen(
        recommendation_id: RecId, body: TransitionIn | None = None
    ) -> RecommendationOut:
        return await act(recommendation_id, S.OPEN, body or TransitionIn())

    @router.post(
        "/recommendations/{recommendation_id}/apply",
        summary="Mark applied",
        description="Starts the verification window. Applied is also detected from usage "
        "(the container's requests now match).",
        response_model=RecommendationOut,
        responses=responses,
    )
    async def apply(
        recommendation_id: RecId, body: TransitionIn | None = None
    ) -> RecommendationOut:
        return await act(recommendation_id, S.APPLIED, body or TransitionIn())

    @router.get(
        "/savings",
        summary="Estimated vs realized monthly savings",
        description="Estimated savings of pending, applied and verified recommendations, and "
        "the realized savings measured after each verification window.",
        response_model=SavingsOut,
        responses=PROBLEM_RESPONSES,
    )
    async def savings(
        cluster: Annotated[str | None, Query()] = None,
        namespace: Annotated[str | None, Query()] = None,
    ) -> SavingsOut:
        async with unit_of_work(db.sessions) as session:
            rows = await repo.savings(session, cluster=cluster, namespace=namespace)
        return SavingsOut.build(rows)

    return router
