"""The spend-anomaly detector's knobs (:class:`AnomalyPolicy`), validated when built."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class AnomalyPolicy:
    """Knobs of the detector, and why each default is what it is.

    * ``weeks``: same-hour-of-week points looked at (4: a month of history, and a one-off
      spike is 1 of 4 points, which the median ignores).
    * ``min_points``: points a baseline needs before it is trusted; with fewer, fall back to the
      same hour of day over ``fallback_days`` days, then to the last ``fallback_hours`` hours.
    * ``threshold`` / ``warning`` / ``critical``: score bands (3.5 is Iglewicz–Hoaglin's and
      OpenCost PR #3978's modified z-score cut-off).
    * ``min_relative_deviation`` / ``warning_relative_deviation`` / ``critical_relative_deviation``:
      bands on the fold change ``max(a, e) / min(a, e) − 1`` (1.0 = 2× up or down to ½); a
      statistically certain 10 % wobble of a very steady namespace is not worth a page.
    * ``min_cost_nano_usd``: neither the actual nor the expected cost reaches it ⇒ never fires
      ($0.10/h, OpenCost PR #3978's ``minCost``). ``min_deviation_nano_usd``: the absolute gap
      must reach it ($0.05/h).
    * ``spread_floor_fraction`` / ``spread_floor_nano_usd``: the spread is at least this share of
      the expected cost and this absolute amount, so a flat history cannot give a zero spread.
    * ``spread_hours``: neighbouring hours (±) whose prediction errors are pooled into the
      spread (3 ⇒ 7 × 4 = 28 errors instead of 4); at most 6, so they stay "the same time of day".
    * ``trend``: scale the hour-of-week points by the week-over-week growth when it is steady
      (see :func:`weekly_growth`; clamped to ``1 ± max_weekly_growth``), so a growing namespace
      is compared with where it is now, not where it was 2.5 weeks ago.
    * ``detect_drops``: report drops too (a sudden drop to zero may be an outage).
    """

    weeks: int = 4
    min_points: int = 3
    fallback_days: int = 7
    fallback_hours: int = 24
    threshold: float = 3.5
    warning: float = 6.0
    critical: float = 10.0
    min_cost_nano_usd: int = 100_000_000
    min_deviation_nano_usd: int = 50_000_000
    min_relative_deviation: float = 0.25
    warning_relative_deviation: float = 0.5
    critical_relative_deviation: float = 1.0
    spread_floor_fraction: float = 0.05
    spread_floor_nano_usd: int = 10_000_000
    spread_hours: int = 3
    trend: bool = True
    max_weekly_growth: float = 0.5
    detect_drops: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, bool) and (not math.isfinite(value) or value < 0):
                msg = f"AnomalyPolicy.{f.name} must be a finite number >= 0, got {value!r}"
                raise ValueError(msg)
        for name in ("weeks", "min_points", "fallback_days", "fallback_hours"):
            if getattr(self, name) < 1:
                msg = f"AnomalyPolicy.{name} must be >= 1, got {getattr(self, name)!r}"
                raise ValueError(msg)
        if self.spread_hours > 6:
            msg = f"AnomalyPolicy.spread_hours must be <= 6, got {self.spread_hours!r}"
            raise ValueError(msg)
        if self.spread_floor_nano_usd < 1:
            msg = "AnomalyPolicy.spread_floor_nano_usd must be >= 1 (it is a divisor)"
            raise ValueError(msg)
        if not 0 < self.threshold <= self.warning <= self.critical:
            msg = "AnomalyPolicy needs 0 < threshold <= warning <= critical"
            raise ValueError(msg)
        relative = (
            self.min_relative_deviation,
            self.warning_relative_deviation,
            self.critical_relative_deviation,
        )
        if list(relative) != sorted(relative):
            msg = "AnomalyPolicy needs min <= warning <= critical relative deviation"
            raise ValueError(msg)
