"""Exponentially bucketed, exponentially decaying histograms (the VPA recommender's scheme).

Bucket ``i`` spans ``[start(i), start(i+1))``, ``start(i) = first · (ratio^i − 1)/(ratio − 1)``:
the first bucket is ``first`` wide and each next one ``ratio`` times wider (VPA: 5 %; here 2 %).
A sample at time ``t`` (epoch seconds) weighs ``weight · 2^((t − reference)/half_life)``, so a
sample one half-life older counts half as much; the reference moves forward (and every weight is
scaled down) before the exponent gets large. Percentiles return the *end* of the bucket they fall
in, like VPA, so an estimate errs upward by at most one bucket width (≤ ratio − 1).

Values are in the caller's unit (millicores, bytes); the histogram does not know which.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_MAX_EXPONENT = 40.0
"""Renormalise when the newest sample would weigh more than 2^40 (float64 keeps ~15 digits)."""
EPSILON = 1e-4
"""Buckets lighter than this (relative to a fresh sample's weight) count as empty."""


@dataclass(frozen=True, slots=True)
class BucketScheme:
    """Where the buckets are: ``first`` (unit of the values) and growth ``ratio``."""

    first: float
    ratio: float
    maximum: float

    @property
    def size(self) -> int:
        """Number of buckets needed to reach ``maximum``."""
        return math.ceil(math.log(self.maximum * (self.ratio - 1) / self.first + 1, self.ratio)) + 1

    def start(self, index: int) -> float:
        return self.first * (self.ratio**index - 1) / (self.ratio - 1)

    def index(self, value: float) -> int:
        """The bucket holding ``value`` (values below 0 go to bucket 0, above max to the last)."""
        if value <= 0:
            return 0
        i = math.floor(math.log(value * (self.ratio - 1) / self.first + 1, self.ratio))
        return min(i, self.size - 1)

    def indices(self, values: FloatArray) -> npt.NDArray[np.int64]:
        clipped = np.clip(values, 0.0, None)
        raw = np.floor(np.log(clipped * (self.ratio - 1) / self.first + 1) / math.log(self.ratio))
        return np.minimum(raw.astype(np.int64), self.size - 1)


CPU_BUCKETS = BucketScheme(first=1.0, ratio=1.02, maximum=1_000_000.0)
"""CPU in millicores, 1 m first bucket, up to 1000 cores. Finer than VPA (10 m, 5 %): small
sidecars need the absolute resolution, and 2 % growth bounds the upward bias at 2 %."""
MEMORY_BUCKETS = BucketScheme(first=float(2**20), ratio=1.02, maximum=1e12)
"""Memory in bytes, 1 MiB first bucket (VPA: 10 MB, 5 %), 2 % growth, up to 1 TB."""


@dataclass
class DecayingHistogram:
    """Weights per bucket relative to ``reference_s``; see the module docstring."""

    scheme: BucketScheme
    half_life_s: float
    weights: FloatArray
    reference_s: float = 0.0
    last_sample_s: float = 0.0

    @classmethod
    def empty(cls, scheme: BucketScheme, *, half_life_s: float) -> DecayingHistogram:
        if half_life_s <= 0:
            msg = f"half_life_s must be positive, got {half_life_s}"
            raise ValueError(msg)
        return cls(scheme, half_life_s, np.zeros(scheme.size, dtype=np.float64))

    @property
    def is_empty(self) -> bool:
        return not bool(np.any(self.weights > 0))

    def _decay_factor(self, at_s: float) -> float:
        exponent = (at_s - self.reference_s) / self.half_life_s
        if exponent > _MAX_EXPONENT:
            self._shift_reference(at_s)
            exponent = 0.0
        return float(2.0**exponent)

    def _shift_reference(self, to_s: float) -> None:
        self.weights *= 2.0 ** (-(to_s - self.reference_s) / self.half_life_s)
        self.weights[self.weights < 1e-300] = 0.0
        self.reference_s = to_s

    def add(self, value: float, at_s: float, *, weight: float = 1.0) -> None:
        """Add one sample of ``value`` taken at ``at_s`` (epoch seconds)."""
        if self.is_empty and self.reference_s == 0.0:
            self.reference_s = at_s
        self.weights[self.scheme.index(value)] += weight * self._decay_factor(at_s)
        self.last_sample_s = max(self.last_sample_s, at_s)

    def subtract(self, value: float, at_s: float, *, weight: float = 1.0) -> None:
        """Remove a sample added earlier with the same value, time and weight."""
        index = self.scheme.index(value)
        self.weights[index] = max(0.0, self.weights[index] - weight * self._decay_factor(at_s))

    def add_many(self, values: FloatArray, times_s: FloatArray) -> None:
        """Add samples in bulk (weight 1 each); equivalent to :meth:`add` in a loop."""
        if len(values) == 0:
            return
        if self.is_empty and self.reference_s == 0.0:
            self.reference_s = float(times_s.min())
        latest = float(times_s.max())
        if (latest - self.reference_s) / self.half_life_s > _MAX_EXPONENT:
            self._shift_reference(latest)
        factors = np.exp2((times_s - self.reference_s) / self.half_life_s)
        np.add.at(self.weights, self.scheme.indices(values), factors)
        self.last_sample_s = max(self.last_sample_s, latest)

    def _live(self) -> FloatArray:
        """Weights with buckets below :data:`EPSILON` of a fresh sample's weight zeroed."""
        if self.is_empty:
            return self.weights
        fresh = 2.0 ** ((self.last_sample_s - self.reference_s) / self.half_life_s)
        return np.where(self.weights >= EPSILON * fresh, self.weights, 0.0)

    def percentile(self, fraction: float) -> float:
        """End of the bucket where the cumulative weight reaches ``fraction`` (0 < f ≤ 1).

        Returns 0.0 for an empty histogram. ``fraction=1.0`` is the end of the highest live
        bucket: the decayed maximum.
        """
        if not 0.0 < fraction <= 1.0:
            msg = f"percentile fraction must be in (0, 1], got {fraction}"
            raise ValueError(msg)
        live = self._live()
        total = float(live.sum())
        if total <= 0:
            return 0.0
        cumulative = np.cumsum(live)
        if fraction >= 1.0:
            index = int(np.flatnonzero(live)[-1])
        else:
            index = int(np.searchsorted(cumulative, fraction * total, side="left"))
        return self.scheme.start(min(index + 1, self.scheme.size - 1))

    def total_weight(self) -> float:
        """Sum of live weights in units of a fresh sample (≈ decayed sample count)."""
        if self.is_empty:
            return 0.0
        fresh = 2.0 ** ((self.last_sample_s - self.reference_s) / self.half_life_s)
        return float(self._live().sum() / fresh)
