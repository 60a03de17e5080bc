"""``/v1/models``: train, list and evaluate confidence models."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.web.problems import ProblemError
from kubeopt_recommender import confidence
from kubeopt_recommender.api.observations import NOT_FOUND, PROBLEM_RESPONSES
from kubeopt_recommender.confidence import TrainingError, TrainingRow
from kubeopt_recommender.runner import ModelCache
from kubeopt_recommender.schemas.recommendations import (
    EvaluateIn,
    EvaluationOut,
    ModelOut,
    ModelsOut,
    TrainIn,
    TrainingRowIn,
)
from kubeopt_recommender.service import confidence_models


def _rows(given: list[TrainingRowIn]) -> list[TrainingRow]:
    return [TrainingRow(r.features, r.label, r.source) for r in given]


def models_router(db: Database, models: ModelCache) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["models"])

    @router.get(
        "/models",
        summary="Confidence model versions",
        response_model=ModelsOut,
        responses=PROBLEM_RESPONSES,
    )
    async def list_models() -> ModelsOut:
        async with unit_of_work(db.sessions) as session:
            rows = await confidence_models.versions(session)
            return ModelsOut(models=[ModelOut.from_row(r) for r in rows])

    @router.post(
        "/models",
        summary="Train a confidence model",
        description="xgboost on the given rows (e.g. the simulator bootstrap of `kubeopt model "
        "train`) plus recorded outcomes; calibrated; stored as a new version with its held-out "
        "metrics and, unless `activate` is false, used from the next run on.",
        status_code=201,
        response_model=ModelOut,
        responses={**PROBLEM_RESPONSES, 400: PROBLEM_RESPONSES[422]},
    )
    async def train(body: TrainIn) -> ModelOut:
        rows = _rows(body.rows)
        if body.include_recorded:
            async with unit_of_work(db.sessions) as session:
                rows += await confidence_models.recorded_rows(session)
        try:
            trained = await asyncio.to_thread(
                confidence.train, rows, seed=body.seed, method=body.calibration
            )
        except TrainingError as err:
            raise ProblemError(400, "Cannot train", str(err)) from err
        async with unit_of_work(db.sessions) as session:
            row = await confidence_models.store(
                session, trained, now=datetime.now(UTC), activate=body.activate
            )
            out = ModelOut.from_row(row)
        return out

    @router.post(
        "/models/{version}/activate",
        summary="Use this model version from the next run on",
        response_model=ModelOut,
        responses={**PROBLEM_RESPONSES, **NOT_FOUND},
    )
    async def activate(version: int) -> ModelOut:
        async with unit_of_work(db.sessions) as session:
            try:
                row = await confidence_models.activate(session, version)
            except confidence_models.ModelNotFoundError as err:
                raise ProblemError(404, "Model not found", str(err)) from err
            return ModelOut.from_row(row)

    @router.post(
        "/models/deactivate",
        summary="Score with the history fallback again",
        description="No model is active afterwards; recommendations get the documented "
        "history-length confidence until a model is activated or trained.",
        status_code=204,
        responses=PROBLEM_RESPONSES,
    )
    async def deactivate() -> None:
        async with unit_of_work(db.sessions) as session:
            await confidence_models.deactivate(session)

    @router.post(
        "/models/evaluate",
        summary="Evaluate the active model",
        description="AUC and Brier score of the active model (or the history fallback) and of "
        "the fallback, on the given rows and/or the recorded outcomes.",
        response_model=EvaluationOut,
        responses={**PROBLEM_RESPONSES, 400: PROBLEM_RESPONSES[422]},
    )
    async def evaluate(body: EvaluateIn) -> EvaluationOut:
        rows = _rows(body.rows)
        if body.include_recorded:
            async with unit_of_work(db.sessions) as session:
                rows += await confidence_models.recorded_rows(session)
        if not rows:
            raise ProblemError(400, "Nothing to evaluate", "no rows given and none recorded")
        model = await models.current()
        metrics = await asyncio.to_thread(confidence.evaluate, model, rows)
        return EvaluationOut(scorer=model.source if model else "heuristic:history", metrics=metrics)

    return router
