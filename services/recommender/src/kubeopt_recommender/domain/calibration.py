"""Probability calibration (isotonic, Platt) and the metrics the models are judged by (pure).

Isotonic regression is fitted with the pool-adjacent-violators algorithm; the calibrated value
of a score is interpolated between the fitted blocks. Platt scaling fits ``1/(1+exp(a·s+b))`` by
Newton's method on the log loss, with Platt's smoothed targets so that a perfectly separated
calibration set does not push ``a`` to infinity. AUC is the Mann–Whitney statistic (ties count
one half); the Brier score is the mean squared error of the probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
CalibrationMethod = Literal["isotonic", "platt"]


@dataclass(frozen=True)
class Calibration:
    method: CalibrationMethod
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()
    a: float = 0.0
    b: float = 0.0

    def apply(self, scores: FloatArray) -> FloatArray:
        """Calibrated probabilities of raw ``scores``, clipped to [0.001, 0.999]."""
        if self.method == "isotonic":
            out = np.interp(scores, np.array(self.xs), np.array(self.ys))
        else:
            out = 1.0 / (1.0 + np.exp(self.a * scores + self.b))
        clipped: FloatArray = np.clip(out, 0.001, 0.999).astype(np.float64)
        return clipped

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "xs": list(self.xs),
            "ys": list(self.ys),
            "a": self.a,
            "b": self.b,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        return cls(
            method=data["method"],
            xs=tuple(data.get("xs", ())),
            ys=tuple(data.get("ys", ())),
            a=float(data.get("a", 0.0)),
            b=float(data.get("b", 0.0)),
        )


def fit_isotonic(scores: FloatArray, labels: FloatArray) -> Calibration:
    """Non-decreasing step fit of ``labels`` (0/1) on ``scores`` (pool adjacent violators)."""
    if len(scores) == 0:
        msg = "isotonic calibration needs at least one example"
        raise ValueError(msg)
    order = np.argsort(scores, kind="stable")
    x, y = scores[order], labels[order].astype(np.float64)
    # Blocks of (sum of labels, count, lowest score, highest score).
    blocks: list[list[float]] = []
    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
        blocks.append([yi, 1.0, xi, xi])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1][0] += last[0]
            blocks[-1][1] += last[1]
            blocks[-1][3] = last[3]
    xs: list[float] = []
    ys: list[float] = []
    for total, count, low, high in blocks:
        mean = total / count
        xs.extend([low, high] if high > low else [low])
        ys.extend([mean, mean] if high > low else [mean])
    return Calibration("isotonic", tuple(xs), tuple(ys))


def fit_platt(scores: FloatArray, labels: FloatArray, *, iterations: int = 100) -> Calibration:
    """Platt scaling ``p = 1/(1+exp(a·s+b))`` fitted by Newton's method (Platt 1999, Lin 2007)."""
    positives = float(labels.sum())
    negatives = float(len(labels) - positives)
    hi, lo = (positives + 1) / (positives + 2), 1 / (negatives + 2)
    t = np.where(labels > 0.5, hi, lo)
    a, b = 0.0, math.log((negatives + 1) / (positives + 1))
    for _ in range(iterations):
        f = a * scores + b
        p = 1.0 / (1.0 + np.exp(f))
        # Gradient and Hessian of the log loss with respect to (a, b); sign from p = σ(−f).
        d = t - p
        g_a, g_b = float((scores * d).sum()), float(d.sum())
        w = p * (1 - p)
        h_aa = float((scores * scores * w).sum()) + 1e-12
        h_ab = float((scores * w).sum())
        h_bb = float(w.sum()) + 1e-12
        det = h_aa * h_bb - h_ab * h_ab
        if abs(det) < 1e-18:
            break
        step_a = (h_bb * g_a - h_ab * g_b) / det
        step_b = (h_aa * g_b - h_ab * g_a) / det
        a, b = a - step_a, b - step_b
        if abs(step_a) < 1e-10 and abs(step_b) < 1e-10:
            break
    return Calibration("platt", a=a, b=b)


def auc(labels: Sequence[float] | FloatArray, scores: Sequence[float] | FloatArray) -> float:
    """Area under the ROC curve; 0.5 when only one class is present."""
    y = np.asarray(labels, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    positives = int((y > 0.5).sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return 0.5
    order = np.argsort(s, kind="stable")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    rank_sum = float(ranks[y > 0.5].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def brier(
    labels: Sequence[float] | FloatArray, probabilities: Sequence[float] | FloatArray
) -> float:
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(probabilities, dtype=np.float64)
    if len(y) == 0:
        return 0.0
    return float(((p - y) ** 2).mean())
