"""Calibration (isotonic, Platt) and the model metrics (AUC, Brier)."""

from __future__ import annotations

import numpy as np
import pytest

from kubeopt_recommender.domain.calibration import (
    Calibration,
    auc,
    brier,
    fit_isotonic,
    fit_platt,
)
from kubeopt_recommender.domain.features import history_confidence


def test_auc_and_brier_known_values() -> None:
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)  # a tie counts half
    assert auc([1, 1], [0.2, 0.9]) == 0.5  # one class only
    assert brier([0, 1], [0.2, 0.6]) == pytest.approx((0.04 + 0.16) / 2)


def _skewed(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores whose true probability is score²: a calibrator must bend them down."""
    rng = np.random.default_rng(3)
    scores = rng.random(n)
    labels = (rng.random(n) < scores**2).astype(np.float64)
    return scores, labels


def test_isotonic_is_monotone_and_calibrates() -> None:
    scores, labels = _skewed(4000)
    cal = fit_isotonic(scores, labels)
    grid = np.linspace(0, 1, 101)
    out = cal.apply(grid)
    assert np.all(np.diff(out) >= -1e-12)
    assert brier(labels, cal.apply(scores)) < brier(labels, scores)
    assert float(cal.apply(np.array([0.5]))[0]) == pytest.approx(0.25, abs=0.06)


def test_platt_fits_a_logistic_and_round_trips() -> None:
    rng = np.random.default_rng(5)
    scores = rng.normal(size=3000)
    labels = (rng.random(3000) < 1 / (1 + np.exp(-2 * scores))).astype(np.float64)
    cal = fit_platt(scores, labels)
    assert cal.a == pytest.approx(-2.0, abs=0.3)
    assert cal.b == pytest.approx(0.0, abs=0.2)
    again = Calibration.from_json(cal.to_json())
    assert np.allclose(again.apply(scores), cal.apply(scores))


def test_history_fallback_grows_with_history() -> None:
    values = [history_confidence(d) for d in (0, 1, 2, 8, 30)]
    assert values == sorted(values)
    assert values[0] == 0.5
    assert history_confidence(2) == pytest.approx(0.725)
    assert values[-1] < 0.95
