"""Forecast of a budget's spend at the end of its period: trend plus day-of-week shape.

Method (all in the budget's time zone; money in nano-USD):

1. Daily totals of the scope's spend for the complete local days before today, at most
   :data:`HISTORY_DAYS` back, from the first day with any spend (days without spend after it
   count as zero).
2. Day-of-week shape: with at least :data:`SHAPE_MIN_DAYS` days, each weekday's factor is its
   mean daily total over the mean of all days (weekends that cost half get 0.5); otherwise
   every factor is 1.
3. Trend: the daily totals divided by their weekday factor, fitted by least squares to a line
   over the last :data:`HISTORY_DAYS` days (with fewer than :data:`TREND_MIN_DAYS` days the
   line is flat at their mean).
4. Expected spend of a future day = max(0, the line at that day) × its weekday factor; the rest
   of today counts pro rata to the time left in it (a 23- or 25-hour DST day included).
5. Forecast = spend to date + expected spend for the rest of the period.

Without one complete day of history the forecast is the period's run rate (spend to date
scaled to the whole period once an hour has passed). A finished period's forecast is its
actual spend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from kubeopt_budgets.domain.periods import local_days, local_midnight
from kubeopt_budgets.domain.spend import Period

HISTORY_DAYS = 28
SHAPE_MIN_DAYS = 14
TREND_MIN_DAYS = 7
RUN_RATE_MIN = timedelta(hours=1)

SpendPoint = tuple[datetime, int]
"""(window start, aware UTC; spend of that window in nano-USD)."""


class ForecastMethod(StrEnum):
    COMPLETE = "complete"
    TREND_WEEKDAY = "trend+weekday"
    TREND = "trend"
    RUN_RATE = "run-rate"
    TOO_EARLY = "too-early"


@dataclass(frozen=True, slots=True)
class Forecast:
    forecast_nano_usd: int
    method: ForecastMethod
    history_days: int


def history_start(as_of: datetime, tz: ZoneInfo) -> datetime:
    """The earliest window start the forecast reads (``HISTORY_DAYS`` local days back)."""
    today = as_of.astimezone(tz).date()
    return local_midnight(today - timedelta(days=HISTORY_DAYS), tz)


def _today(as_of: datetime, tz: ZoneInfo) -> Period:
    day = as_of.astimezone(tz).date()
    return Period(local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz))


def daily_totals(points: Iterable[SpendPoint], tz: ZoneInfo, before: datetime) -> list[int]:
    """Totals per complete local day before ``before``, oldest first, from the first day with
    spend; at most ``HISTORY_DAYS`` days."""
    first_day = (before - timedelta(microseconds=1)).astimezone(tz).date()
    by_day: dict[int, int] = {}
    for start, cost in points:
        if start >= before:
            continue
        back = (first_day - start.astimezone(tz).date()).days
        if 0 <= back < HISTORY_DAYS:
            by_day[back] = by_day.get(back, 0) + cost
    if not by_day:
        return []
    return [by_day.get(back, 0) for back in range(max(by_day), -1, -1)]


def weekday_factors(totals: list[int], last_weekday: int) -> list[float]:
    """Factor per weekday (0 = Monday) of daily ``totals`` whose last day is ``last_weekday``."""
    if len(totals) < SHAPE_MIN_DAYS:
        return [1.0] * 7
    overall = sum(totals) / len(totals)
    if overall <= 0:
        return [1.0] * 7
    sums, counts = [0.0] * 7, [0] * 7
    for back, total in enumerate(reversed(totals)):
        weekday = (last_weekday - back) % 7
        sums[weekday] += total
        counts[weekday] += 1
    return [(sums[w] / counts[w]) / overall if counts[w] else 1.0 for w in range(7)]


def trend_line(points: list[tuple[int, float]], *, at: int) -> tuple[float, float]:
    """(value at day ``at``, slope per day) of the least-squares line through (day, value)."""
    n = len(points)
    mean_y = sum(y for _, y in points) / n
    if n < TREND_MIN_DAYS:
        return mean_y, 0.0
    mean_x = sum(x for x, _ in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var
    return mean_y + slope * (at - mean_x), slope


def _run_rate(period: Period, as_of: datetime, spend_to_date: int) -> Forecast:
    elapsed = as_of - period.start
    if elapsed < RUN_RATE_MIN:
        return Forecast(spend_to_date, ForecastMethod.TOO_EARLY, 0)
    scaled = spend_to_date * ((period.end - period.start) / elapsed)
    return Forecast(max(spend_to_date, round(scaled)), ForecastMethod.RUN_RATE, 0)


def forecast_period_end(
    points: Iterable[SpendPoint],
    *,
    period: Period,
    tz: ZoneInfo,
    as_of: datetime,
    spend_to_date_nano_usd: int,
) -> Forecast:
    """Forecast of the spend of ``period`` at its end, seen at ``as_of`` (see module doc).

    ``points`` are the scope's spend windows from :func:`history_start` on; the result is never
    below ``spend_to_date_nano_usd``.
    """
    if as_of >= period.end:
        return Forecast(spend_to_date_nano_usd, ForecastMethod.COMPLETE, 0)
    today = _today(as_of, tz)
    totals = daily_totals(points, tz, today.start)
    if not totals:
        return _run_rate(period, as_of, spend_to_date_nano_usd)
    today_weekday = today.start.astimezone(tz).weekday()
    factors = weekday_factors(totals, (today_weekday - 1) % 7)
    # Day -1 is yesterday. A weekday that never had spend has factor 0 and says nothing about
    # the level, so its days stay out of the fit.
    deseasonalised = [
        (-back - 1, total / factor)
        for back, total in enumerate(reversed(totals))
        if (factor := factors[(today_weekday - back - 1) % 7]) > 0
    ]
    level, slope = trend_line(deseasonalised, at=0) if deseasonalised else (0.0, 0.0)
    expected = 0.0
    rest = Period(max(as_of, period.start), period.end)
    for index, day in enumerate(local_days(tz, Period(today.start, period.end))):
        share = (min(day.end, rest.end) - max(day.start, rest.start)) / (day.end - day.start)
        if share <= 0:
            continue
        weekday = (today_weekday + index) % 7
        expected += max(0.0, level + slope * index) * factors[weekday] * share
    method = ForecastMethod.TREND_WEEKDAY if len(totals) >= SHAPE_MIN_DAYS else ForecastMethod.TREND
    return Forecast(spend_to_date_nano_usd + round(expected), method, len(totals))
