"""The confidence model: an xgboost classifier of "the recommendation holds", calibrated.

Training rows are (features, label) pairs: label 1 when, after the recommendation was applied,
the container had no OOM kill, was not throttled heavily and the savings were realised. Rows
come from recorded outcomes (verified/regressed recommendations) and from the simulator
bootstrap (``kubeopt model train``). The rows are split deterministically and stratified:
60 % fit the booster, 20 % fit the calibration (isotonic with ≥ 200 calibration rows, else
Platt), 20 % measure AUC and Brier score of the calibrated model and of the history-length
fallback on the same rows. This module is the only one that touches xgboost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xgboost as xgb

from kubeopt_recommender.domain.calibration import (
    Calibration,
    CalibrationMethod,
    FloatArray,
    auc,
    brier,
    fit_isotonic,
    fit_platt,
)
from kubeopt_recommender.domain.features import FEATURE_NAMES, feature_vector, history_confidence

ALGORITHM = "xgboost"
MIN_ROWS = 50
ISOTONIC_MIN_ROWS = 200
BOOST_ROUNDS = 150
PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "max_depth": 4,
    "eta": 0.08,
    "subsample": 0.9,
    "colsample_bytree": 0.9,
    "min_child_weight": 2.0,
    "tree_method": "hist",
    "nthread": 2,
}


class TrainingError(ValueError):
    """The rows cannot train a model (too few, or one class only); the message says which."""


@dataclass(frozen=True, slots=True)
class TrainingRow:
    features: Mapping[str, float]
    label: int
    source: str = "bootstrap"


@dataclass(frozen=True)
class TrainedModel:
    booster: bytes
    calibration: Calibration
    feature_names: tuple[str, ...]
    metrics: dict[str, float | int]
    training: dict[str, int]


def _matrix(rows: Sequence[Mapping[str, float]], names: Sequence[str]) -> FloatArray:
    data = [feature_vector(r, tuple(names)) for r in rows]
    return np.array(data, dtype=np.float64).reshape(len(rows), len(names))


def baseline_scores(rows: Sequence[Mapping[str, float]]) -> list[float]:
    """The history-length fallback for each feature row (days covered = days × coverage)."""
    return [history_confidence(r.get("history_days", 0.0) * r.get("coverage", 1.0)) for r in rows]


def _split(labels: Sequence[int], seed: int) -> tuple[list[int], list[int], list[int]]:
    """Stratified 60/20/20 index split, deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    train: list[int] = []
    calibrate: list[int] = []
    test: list[int] = []
    for label in (0, 1):
        idx = [i for i, y in enumerate(labels) if y == label]
        rng.shuffle(idx)
        a, b = math.floor(len(idx) * 0.6), math.floor(len(idx) * 0.8)
        train += idx[:a]
        calibrate += idx[a:b]
        test += idx[b:]
    return sorted(train), sorted(calibrate), sorted(test)


def _metrics(
    labels: Sequence[int], probabilities: Sequence[float], baseline: Sequence[float]
) -> dict[str, float | int]:
    return {
        "auc": round(auc(labels, probabilities), 4),
        "brier": round(brier(labels, probabilities), 4),
        "baseline_auc": round(auc(labels, baseline), 4),
        "baseline_brier": round(brier(labels, baseline), 4),
        "n_test": len(labels),
        "positive_rate": round(float(np.mean(labels)) if labels else 0.0, 4),
    }


def train(
    rows: Sequence[TrainingRow], *, seed: int = 0, method: CalibrationMethod | None = None
) -> TrainedModel:
    """Fit, calibrate and measure a model on ``rows``; raises :class:`TrainingError`."""
    labels = [int(r.label) for r in rows]
    positives = sum(labels)
    if len(rows) < MIN_ROWS or positives == 0 or positives == len(rows):
        msg = (
            f"training needs at least {MIN_ROWS} rows with both outcomes; got {len(rows)} rows, "
            f"{positives} that held and {len(rows) - positives} that did not"
        )
        raise TrainingError(msg)
    train_idx, cal_idx, test_idx = _split(labels, seed)
    x = _matrix([r.features for r in rows], FEATURE_NAMES)
    y = np.array(labels, dtype=np.float64)
    booster = xgb.train(
        {**PARAMS, "seed": seed},
        xgb.DMatrix(x[train_idx], label=y[train_idx], feature_names=list(FEATURE_NAMES)),
        BOOST_ROUNDS,
    )

    def raw(idx: list[int]) -> FloatArray:
        scores: FloatArray = booster.predict(
            xgb.DMatrix(x[idx], feature_names=list(FEATURE_NAMES))
        ).astype(np.float64)
        return scores

    chosen = method or ("isotonic" if len(cal_idx) >= ISOTONIC_MIN_ROWS else "platt")
    fit = fit_isotonic if chosen == "isotonic" else fit_platt
    calibration = fit(raw(cal_idx), y[cal_idx])
    test_rows = [rows[i].features for i in test_idx]
    probabilities = calibration.apply(raw(test_idx)).tolist()
    metrics = _metrics([labels[i] for i in test_idx], probabilities, baseline_scores(test_rows))
    metrics["n_train"] = len(train_idx)
    sources: dict[str, int] = {}
    for r in rows:
        sources[r.source] = sources.get(r.source, 0) + 1
    return TrainedModel(
        booster=bytes(booster.save_raw(raw_format="ubj")),
        calibration=calibration,
        feature_names=FEATURE_NAMES,
        metrics=metrics,
        training=sources,
    )


class ConfidenceModel:
    """A stored model version, ready to score feature rows."""

    def __init__(
        self,
        *,
        version: int,
        booster: bytes,
        calibration: Calibration,
        feature_names: Sequence[str],
    ) -> None:
        self.version = version
        self.feature_names = tuple(feature_names)
        self.calibration = calibration
        self._booster = xgb.Booster()
        self._booster.load_model(bytearray(booster))

    @property
    def source(self) -> str:
        return f"model:v{self.version}"

    def predict(self, rows: Sequence[Mapping[str, float]]) -> list[float]:
        """Calibrated probability that each recommendation holds."""
        if not rows:
            return []
        matrix = xgb.DMatrix(
            _matrix(rows, self.feature_names), feature_names=list(self.feature_names)
        )
        scores = np.asarray(self._booster.predict(matrix), dtype=np.float64)
        return [round(float(p), 4) for p in self.calibration.apply(scores)]


def evaluate(model: ConfidenceModel | None, rows: Sequence[TrainingRow]) -> dict[str, float | int]:
    """AUC and Brier of ``model`` (the fallback when None) and of the fallback on ``rows``."""
    features = [r.features for r in rows]
    labels = [int(r.label) for r in rows]
    baseline = baseline_scores(features)
    probabilities = model.predict(features) if model is not None else baseline
    return _metrics(labels, probabilities, baseline)
