"""Confidence model versions: training rows from recorded outcomes, storing and loading models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import RecommendationKind
from kubeopt_recommender.confidence import ALGORITHM, ConfidenceModel, TrainedModel, TrainingRow
from kubeopt_recommender.domain.calibration import Calibration
from kubeopt_recommender.models import ModelRow
from kubeopt_recommender.repository import confidence_models as repo
from kubeopt_recommender.repository.recommendations import with_outcomes

RECORDED = "recorded"


async def recorded_rows(session: AsyncSession) -> list[TrainingRow]:
    """One row per verified or regressed rightsizing recommendation that has features."""
    rows = await with_outcomes(session, kind=RecommendationKind.RIGHTSIZING.value)
    return [
        TrainingRow(
            features=dict(r.features), label=int(bool(r.outcome.get("holds"))), source=RECORDED
        )
        for r in rows
        if r.features and r.outcome is not None
    ]


async def store(
    session: AsyncSession, trained: TrainedModel, *, now: datetime, activate: bool
) -> ModelRow:
    row = ModelRow(
        created_at=now,
        algorithm=ALGORITHM,
        feature_names=list(trained.feature_names),
        booster=trained.booster,
        calibration=trained.calibration.to_json(),
        metrics=dict(trained.metrics),
        training=dict(trained.training),
    )
    return await repo.add(session, row, activate=activate)


def as_model(row: ModelRow) -> ConfidenceModel:
    return ConfidenceModel(
        version=row.version,
        booster=row.booster,
        calibration=Calibration.from_json(row.calibration),
        feature_names=row.feature_names,
    )


async def load_active(session: AsyncSession) -> ConfidenceModel | None:
    row = await repo.active(session)
    return as_model(row) if row is not None else None


async def active_version(session: AsyncSession) -> int | None:
    return await repo.active_version(session)


async def versions(session: AsyncSession) -> list[ModelRow]:
    return await repo.versions(session)


class ModelNotFoundError(LookupError):
    def __init__(self, version: int) -> None:
        super().__init__(f"no model version {version}")


async def activate(session: AsyncSession, version: int) -> ModelRow:
    """Make ``version`` the active model; raises :class:`ModelNotFoundError`."""
    row = await repo.activate(session, version)
    if row is None:
        raise ModelNotFoundError(version)
    return row


async def deactivate(session: AsyncSession) -> None:
    """No active model: the history fallback scores from the next run on."""
    await repo.activate(session, None)
