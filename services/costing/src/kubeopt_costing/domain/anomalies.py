"""Spend anomalies: one closed hour of a series judged against its seasonal, robust baseline.

All money is integer nano-USD per hour; all datetimes are aware and normalised to UTC; an hour
is named by its start (``[hour, hour + 1h)``).

Why not Kubecost's method ("cost outside X % of the *mean over the previous N days*"): a mean
over days mixes weekdays with weekends and nights with business hours, so every Saturday of a
weekday-heavy namespace is an "anomaly", and a single past spike drags the mean for N days.
Here the expected cost is the *median of the same hour of the week* in the previous ``weeks``
weeks (one past anomaly out of 4 points does not move it), optionally corrected for steady
growth. The score is a robust z-score, ``(actual − expected) / spread``, as in OpenCost PR
#3978's modified z-score ``0.6745·(x − median)/MAD``, but the spread is not the MAD of the 4
points (itself noise, often near 0, which makes a 3.5 cut-off fire ~2 % of the time on pure
noise): it is the standard deviation of the *leave-one-out prediction error* (each point versus
the median of the others), pooled over the neighbouring hours of the week and rescaled to this
hour's level, then floored so that a perfectly flat history does not make every cent an anomaly.

Seasonality is in UTC: a team in a zone with daylight saving sees its pattern shift by one hour
twice a year; the median over several weeks absorbs the one shifted point of a transition week.

History semantics: a missing hour means "no data" (the series did not exist or was not
measured); an hour where the series existed at zero cost must be passed as an explicit ``0``.
A series with no usable history produces no baseline and therefore no finding.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Final, Literal

from kubeopt_common.events import AnomalyDetected, Severity, event_id_for
from kubeopt_costing.domain.anomaly_policy import AnomalyPolicy

HOUR: Final = timedelta(hours=1)
DAY: Final = timedelta(days=1)
WEEK: Final = timedelta(weeks=1)

BaselineKind = Literal["hour_of_week", "hour_of_day", "recent"]
Direction = Literal["spike", "drop"]
_RANK: Final = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
# mean |N(0, σ)| = σ·√(2/π): turns a mean absolute error into a standard deviation.
_HALF_NORMAL: Final = math.sqrt(math.pi / 2)
# Errors above this multiple of their median are capped: a past anomaly in the history must not
# inflate the spread (and blind the detector) for the next weeks; normal errors (≤ 2.7 σ) are
# never capped.
_WINSOR: Final = 4.0


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """What a series measures: a namespace, or one workload in it (``workload`` non-empty)."""

    cluster: str
    namespace: str
    workload: str = ""

    def __post_init__(self) -> None:
        if not self.cluster or not self.namespace:
            msg = f"series key needs a cluster and a namespace, got {self!r}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Baseline:
    """What an hour is expected to cost, and how much it normally varies (nano-USD per hour).

    ``spread_nano_usd`` is the floored standard deviation of the prediction error (>= 1);
    ``points`` the history values of this very hour the expectation is the median of;
    ``weekly_growth`` the trend factor applied (1.0 = none).
    """

    expected_nano_usd: int
    spread_nano_usd: int
    points: int
    kind: BaselineKind
    weekly_growth: float = 1.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One anomalous hour. ``score`` is ``|actual − expected| / spread`` (>= threshold);
    ``direction`` says whether the cost went up (spike) or down (drop)."""

    key: SeriesKey
    hour: datetime
    actual_nano_usd: int
    baseline: Baseline
    score: float
    direction: Direction
    severity: Severity
    anomaly_id: str

    @property
    def relative_deviation(self) -> float:
        """Fold change ``max/min − 1`` of actual versus expected (``inf`` if one of them is 0)."""
        return fold_change(self.actual_nano_usd, self.baseline.expected_nano_usd)


def utc_hour(hour: datetime) -> datetime:
    """``hour`` as a UTC datetime; rejects naive datetimes and instants that are not on the hour."""
    if hour.utcoffset() is None:
        msg = f"hour {hour.isoformat()} is naive; pass an aware UTC datetime"
        raise ValueError(msg)
    utc = hour.astimezone(UTC)
    if utc != utc.replace(minute=0, second=0, microsecond=0):
        msg = f"hour {hour.isoformat()} is not aligned to a whole UTC hour"
        raise ValueError(msg)
    return utc


def history_hours_needed(hour: datetime, policy: AnomalyPolicy) -> tuple[datetime, datetime]:
    """Half-open range ``[start, end)`` of hours to fetch for judging ``hour``; ``end == hour``
    (the judged hour is never part of its own baseline)."""
    hour = utc_hour(hour)
    reach = max(policy.weeks * WEEK, policy.fallback_days * DAY, policy.fallback_hours * HOUR)
    return hour - reach - policy.spread_hours * HOUR, hour


def sampled_hours(hour: datetime, policy: AnomalyPolicy) -> frozenset[datetime]:
    """Exactly the history hours :func:`baseline` may read, all inside
    :func:`history_hours_needed`: 216 with the defaults (90 without ``trend``), so a caller
    may fetch only these instead of the whole range (675 hours)."""
    layout = _layout(utc_hour(hour), policy)
    groups = (*layout.weekly, *layout.daily, layout.recent, *layout.week_levels)
    return frozenset(at for group in groups for _, at in group)


def baseline(
    history: Mapping[datetime, int], hour: datetime, policy: AnomalyPolicy
) -> Baseline | None:
    """The expected cost of ``hour`` from ``history`` (hour start → nano-USD, UTC keys).

    Tries, in order, the same hour of the week over ``policy.weeks`` weeks, the same hour of
    the day over ``policy.fallback_days`` days, and the last ``policy.fallback_hours`` hours;
    the first with at least ``policy.min_points`` points for ``hour`` itself wins. ``None`` when
    none has enough. Reads only :func:`sampled_hours` keys, whatever the size of ``history``.
    """
    layout = _layout(utc_hour(hour), policy)
    weekly = [_points(history, group) for group in layout.weekly]
    if len(weekly[policy.spread_hours]) >= policy.min_points:
        growth = _growth(history, layout, policy) if policy.trend else 1.0
        adjusted = [[v * growth**k for k, v in group] for group in weekly]
        return _robust(adjusted, policy, "hour_of_week", growth)
    daily = [_points(history, group) for group in layout.daily]
    if len(daily[policy.spread_hours]) >= policy.min_points:
        return _robust([[float(v) for _, v in g] for g in daily], policy, "hour_of_day", 1.0)
    recent = [float(v) for _, v in _points(history, layout.recent)]
    if len(recent) >= policy.min_points:
        return _robust([recent], policy, "recent", 1.0)
    return None


def weekly_growth(history: Mapping[datetime, int], hour: datetime, policy: AnomalyPolicy) -> float:
    """Median week-over-week growth factor of the series, clamped to ``1 ± max_weekly_growth``.

    Week k's level is the median of the hours around the same time of day (± ``spread_hours``)
    on days ``7(k−1)+1 … 7k`` before ``hour``: weekends and a few bad days do not move it.
    Applied only when every week-over-week ratio points the same way (and at least two are
    known), else 1.0: a step change moves one ratio out of several, and in a flat series the
    ratios scatter around 1; extrapolating that noise over 4 weeks would cost more (measured:
    2× the false positives on a flat series) than it gains.
    """
    return _growth(history, _layout(utc_hour(hour), policy), policy)


def _growth(history: Mapping[datetime, int], layout: _Layout, policy: AnomalyPolicy) -> float:
    levels = [_level(_points(history, week), len(week)) for week in layout.week_levels]
    ratios = [
        newer / older
        for newer, older in itertools.pairwise(levels)
        if newer is not None and older is not None and older > 0
    ]
    consistent = all(r > 1 for r in ratios) or all(r < 1 for r in ratios)
    if len(ratios) < 2 or not consistent:
        return 1.0
    low, high = 1 / (1 + policy.max_weekly_growth), 1 + policy.max_weekly_growth
    return min(high, max(low, median(ratios)))


def judge(
    key: SeriesKey,
    hour: datetime,
    actual_nano_usd: int,
    history: Mapping[datetime, int],
    policy: AnomalyPolicy,
) -> Finding | None:
    """The finding for ``key`` at ``hour`` costing ``actual_nano_usd``, or ``None`` if normal.

    Fires only when all hold: a baseline exists; ``max(actual, expected) >= min_cost``;
    ``|actual − expected| >= min_deviation``; score ``>= threshold``; fold change
    ``>= min_relative_deviation``; a drop is reported only with ``detect_drops``. Severity is
    the lower of the score band and the fold-change band, so both must agree that it matters.
    """
    if actual_nano_usd < 0:
        msg = f"actual cost of {key} at {hour.isoformat()} is negative ({actual_nano_usd})"
        raise ValueError(msg)
    hour = utc_hour(hour)
    base = baseline(history, hour, policy)
    if base is None:
        return None
    deviation = actual_nano_usd - base.expected_nano_usd
    direction: Direction = "spike" if deviation > 0 else "drop"
    if (
        abs(deviation) < policy.min_deviation_nano_usd
        or max(actual_nano_usd, base.expected_nano_usd) < policy.min_cost_nano_usd
        or (direction == "drop" and not policy.detect_drops)
    ):
        return None
    score = abs(deviation) / base.spread_nano_usd
    relative = fold_change(actual_nano_usd, base.expected_nano_usd)
    severity = _severity(score, relative, policy)
    if severity is None:
        return None
    return Finding(
        key, hour, actual_nano_usd, base, score, direction, severity, anomaly_id(key, hour)
    )


def anomaly_id(key: SeriesKey, hour: datetime) -> str:
    """Stable id of "``key`` at ``hour``": re-evaluating the same hour yields the same id."""
    return str(event_id_for("anomaly", key.cluster, key.namespace, key.workload, utc_hour(hour)))


def fold_change(actual_nano_usd: int, expected_nano_usd: int) -> float:
    """``max(a, e) / min(a, e) − 1``: 0 when equal, 1.0 for 2× or ½, ``inf`` when one is 0."""
    low, high = sorted((actual_nano_usd, expected_nano_usd))
    if high == 0:
        return 0.0
    return math.inf if low == 0 else high / low - 1


def to_event(finding: Finding, *, producer: str, occurred_at: datetime) -> AnomalyDetected:
    """The ``anomaly.detected`` event of ``finding``. Its event id is derived from the anomaly
    id and the actual cost, so republishing is deduplicated while a corrected actual (a late
    batch raised the hour's cost) is a new event."""
    event_key = ("anomaly.detected", finding.anomaly_id, finding.actual_nano_usd)
    return AnomalyDetected.create(
        event_id=event_id_for(*event_key),
        occurred_at=occurred_at,
        cluster=finding.key.cluster,
        producer=producer,
        anomaly_id=finding.anomaly_id,
        namespace=finding.key.namespace,
        workload=finding.key.workload,
        window_start=finding.hour,
        window_end=finding.hour + HOUR,
        expected_nano_usd=finding.baseline.expected_nano_usd,
        actual_nano_usd=finding.actual_nano_usd,
        score=finding.score,
        severity=finding.severity,
    )


_Group = tuple[tuple[int, datetime], ...]


@dataclass(frozen=True, slots=True)
class _Layout:
    """The history hours read for one judged hour. Groups hold ``(k, hour ± j·1h − k·step)``;
    ``weekly`` and ``daily`` have one group per neighbour offset j = −spread_hours…+spread_hours
    (the middle one is the judged hour's own); ``week_levels`` has one group per past week."""

    weekly: tuple[_Group, ...]
    daily: tuple[_Group, ...]
    recent: _Group
    week_levels: tuple[_Group, ...]


# Every series judged for the same hour reads the same keys: build them once, not per series
# (datetime arithmetic is most of the cost of judging).
@functools.lru_cache(maxsize=256)
def _layout(hour: datetime, policy: AnomalyPolicy) -> _Layout:
    offsets = [j * HOUR for j in range(-policy.spread_hours, policy.spread_hours + 1)]

    def seasonal(step: timedelta, count: int) -> tuple[_Group, ...]:
        return tuple(tuple((k, hour + o - k * step) for k in range(1, count + 1)) for o in offsets)

    levels = tuple(
        tuple(
            (week, hour + o - d * DAY) for d in range(7 * week - 6, 7 * week + 1) for o in offsets
        )
        for week in range(1, policy.weeks + 1)
    )
    return _Layout(
        weekly=seasonal(WEEK, policy.weeks),
        daily=seasonal(DAY, policy.fallback_days),
        recent=tuple((h, hour - h * HOUR) for h in range(1, policy.fallback_hours + 1)),
        week_levels=levels if policy.trend else (),
    )


def _points(history: Mapping[datetime, int], group: _Group) -> list[tuple[int, int]]:
    """``(k, cost)`` of the hours of ``group`` that have data; rejects negative costs."""
    found: list[tuple[int, int]] = []
    for k, at in group:
        value = history.get(at)
        if value is None:
            continue
        if value < 0:
            msg = f"history cost at {at.isoformat()} is negative ({value})"
            raise ValueError(msg)
        found.append((k, value))
    return found


def _level(points: list[tuple[int, int]], hours: int) -> float | None:
    """Median of a week's ``hours`` hours, or ``None`` when fewer than half of them have data."""
    return float(median(v for _, v in points)) if points and 2 * len(points) >= hours else None


def _robust(
    groups: list[list[float]], policy: AnomalyPolicy, kind: BaselineKind, growth: float
) -> Baseline:
    """Median of the middle group (the judged hour's own points) and the spread of the error of
    predicting a point by the median of the others (leave-one-out), pooled over every group and
    rescaled to the middle group's level.

    Pooling matters: with 4 points a MAD is itself noise (often near 0), which would make the
    score trigger-happy; leave-one-out errors also carry the uncertainty of the median itself.
    """
    own = groups[len(groups) // 2]
    center = float(median(own))
    errors: list[float] = []
    for values in groups:
        if len(values) < 2:
            continue
        level = float(median(values))
        scale = center / level if level > 0 else 1.0
        for i, value in enumerate(values):
            others = values[:i] + values[i + 1 :]
            errors.append(abs(value - median(others)) * scale)
    floors = (policy.spread_floor_fraction * center, float(policy.spread_floor_nano_usd))
    spread = max(_noise(errors), *floors)
    return Baseline(round(center), max(1, round(spread)), len(own), kind, growth)


def _noise(errors: list[float]) -> float:
    """Standard deviation from absolute errors: winsorised mean × √(π/2); 0.0 without errors."""
    if not errors:
        return 0.0
    cap = _WINSOR * float(median(errors))
    return _HALF_NORMAL * sum(min(e, cap) for e in errors) / len(errors)


def _severity(score: float, relative: float, policy: AnomalyPolicy) -> Severity | None:
    by_score = _band(score, policy.threshold, policy.warning, policy.critical)
    by_relative = _band(
        relative,
        policy.min_relative_deviation,
        policy.warning_relative_deviation,
        policy.critical_relative_deviation,
    )
    if by_score is None or by_relative is None:
        return None
    return min(by_score, by_relative, key=_RANK.__getitem__)


def _band(value: float, fire: float, warning: float, critical: float) -> Severity | None:
    if value >= critical:
        return Severity.CRITICAL
    if value >= warning:
        return Severity.WARNING
    return Severity.INFO if value >= fire else None
