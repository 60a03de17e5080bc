"""The xgboost confidence model: training, calibration, storage round trip, evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from kubeopt_recommender.confidence import (
    ConfidenceModel,
    TrainingError,
    TrainingRow,
    evaluate,
    train,
)
from kubeopt_recommender.domain.features import FEATURE_NAMES


def rows(n: int, *, seed: int) -> list[TrainingRow]:
    """Leaky containers (memory trend) with a tight limit fail; the rest mostly hold."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        features = {name: float(rng.random()) for name in FEATURE_NAMES}
        features["memory_trend_per_day"] = float(rng.exponential(0.05))
        features["memory_limit_over_max"] = float(rng.uniform(1.0, 2.0))
        risk = features["memory_trend_per_day"] * 10 / features["memory_limit_over_max"]
        label = int(rng.random() > min(risk, 0.95))
        out.append(TrainingRow(features, label, "test"))
    return out


def test_trains_calibrates_and_beats_the_history_fallback() -> None:
    trained = train(rows(2000, seed=1), seed=0)
    assert trained.metrics["auc"] > 0.75
    assert trained.metrics["auc"] > trained.metrics["baseline_auc"]
    assert trained.metrics["brier"] < trained.metrics["baseline_brier"]
    assert trained.metrics["n_test"] == pytest.approx(400, abs=2)
    assert trained.calibration.method == "isotonic"
    assert trained.training == {"test": 2000}
    model = ConfidenceModel(
        version=7,
        booster=trained.booster,
        calibration=trained.calibration,
        feature_names=trained.feature_names,
    )
    held_out = rows(500, seed=2)
    scores = model.predict([r.features for r in held_out])
    assert all(0 < s < 1 for s in scores)
    assert model.source == "model:v7"
    metrics = evaluate(model, held_out)
    assert metrics["auc"] > 0.75
    assert metrics["n_test"] == 500
    assert evaluate(None, held_out)["auc"] == metrics["baseline_auc"]


def test_small_sets_use_platt() -> None:
    assert train(rows(300, seed=4), seed=0).calibration.method == "platt"


def test_refuses_too_few_rows_or_one_outcome() -> None:
    with pytest.raises(TrainingError, match="at least 50 rows"):
        train(rows(10, seed=1))
    held = [TrainingRow(r.features, 1, "x") for r in rows(100, seed=1)]
    with pytest.raises(TrainingError, match="0 that did not"):
        train(held)


def test_missing_features_are_missing_not_zero() -> None:
    trained = train(rows(400, seed=3), seed=0)
    model = ConfidenceModel(
        version=1,
        booster=trained.booster,
        calibration=trained.calibration,
        feature_names=trained.feature_names,
    )
    [score] = model.predict([{"history_days": 3.0}])
    assert 0 < score < 1
