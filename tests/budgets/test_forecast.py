"""The period-end forecast: flat, weekly shape, trend, run rate, finished periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kubeopt_budgets.domain.forecast import (
    ForecastMethod,
    SpendPoint,
    daily_totals,
    forecast_period_end,
    weekday_factors,
)
from kubeopt_budgets.domain.periods import PeriodKind, PeriodSpec, period_containing
from kubeopt_budgets.domain.spend import Period

HOUR = timedelta(hours=1)
MONTHLY = PeriodSpec(PeriodKind.MONTHLY)


def hourly(start: datetime, end: datetime, cost_of: object) -> list[SpendPoint]:
    """One point per hour in [start, end), cost from ``cost_of(local datetime)``."""
    assert callable(cost_of)
    points, t = [], start
    while t < end:
        points.append((t, int(cost_of(t))))
        t += HOUR
    return points


def test_flat_spend_forecasts_the_same_daily_amount_for_the_rest_of_the_period() -> None:
    as_of = datetime(2026, 6, 15, 12, tzinfo=UTC)  # half of 15 June gone, 15.5 days left
    period = period_containing(MONTHLY, ZoneInfo("UTC"), as_of)
    points = hourly(as_of - timedelta(days=30), as_of, lambda _: 1_000)
    spend = sum(c for t, c in points if t >= period.start)
    result = forecast_period_end(
        points, period=period, tz=ZoneInfo("UTC"), as_of=as_of, spend_to_date_nano_usd=spend
    )
    assert result.method is ForecastMethod.TREND_WEEKDAY
    assert result.history_days == 28
    assert result.forecast_nano_usd == pytest.approx(30 * 24_000, rel=1e-9)


def test_weekday_shape_lowers_the_forecast_for_weekends_left() -> None:
    tz = ZoneInfo("UTC")
    as_of = datetime(2026, 6, 26, tzinfo=UTC)  # a Friday midnight: Fri, Sat, Sun … remain
    period = Period(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 29, tzinfo=UTC))

    def cost(t: datetime) -> int:
        return 500 if t.weekday() >= 5 else 1_000  # weekends cost half

    points = hourly(as_of - timedelta(days=28), as_of, cost)
    result = forecast_period_end(
        points, period=period, tz=tz, as_of=as_of, spend_to_date_nano_usd=0
    )
    # Friday 24k + Saturday 12k + Sunday 12k.
    assert result.forecast_nano_usd == pytest.approx(48_000, rel=1e-6)


def test_rising_trend_is_extrapolated() -> None:
    tz = ZoneInfo("UTC")
    as_of = datetime(2026, 6, 20, tzinfo=UTC)
    period = Period(as_of, as_of + timedelta(days=2))
    start = as_of - timedelta(days=10)

    def cost(t: datetime) -> int:
        return 100 * ((t - start).days + 1)  # day d costs 2400·(d+1)

    points = hourly(start, as_of, cost)
    result = forecast_period_end(
        points, period=period, tz=tz, as_of=as_of, spend_to_date_nano_usd=0
    )
    assert result.method is ForecastMethod.TREND
    # The next two days continue the line: 11 and 12 times 2400.
    assert result.forecast_nano_usd == pytest.approx(2_400 * (11 + 12), rel=1e-6)


def test_without_history_the_run_rate_is_used_after_an_hour() -> None:
    tz = ZoneInfo("Europe/Berlin")
    period = period_containing(
        PeriodSpec(PeriodKind.DAILY), tz, datetime(2026, 6, 1, 10, tzinfo=UTC)
    )
    early = forecast_period_end(
        [],
        period=period,
        tz=tz,
        as_of=period.start + timedelta(minutes=30),
        spend_to_date_nano_usd=7,
    )
    assert (early.method, early.forecast_nano_usd) == (ForecastMethod.TOO_EARLY, 7)
    later = forecast_period_end(
        [],
        period=period,
        tz=tz,
        as_of=period.start + timedelta(hours=6),
        spend_to_date_nano_usd=600,
    )
    assert (later.method, later.forecast_nano_usd) == (ForecastMethod.RUN_RATE, 2_400)


def test_a_finished_period_forecasts_its_actual_spend() -> None:
    period = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    result = forecast_period_end(
        [(datetime(2026, 1, 5, tzinfo=UTC), 99)],
        period=period,
        tz=ZoneInfo("UTC"),
        as_of=period.end,
        spend_to_date_nano_usd=123,
    )
    assert (result.method, result.forecast_nano_usd) == (ForecastMethod.COMPLETE, 123)


def test_daily_totals_follow_local_days() -> None:
    tz = ZoneInfo("America/New_York")
    today = datetime(2026, 3, 10, 4, tzinfo=UTC)  # local midnight, EDT
    points = hourly(today - timedelta(days=3), today, lambda _: 1)
    # The data starts at 23:00 on 6 March (EST); 8 March lost an hour to DST.
    assert daily_totals(points, tz, today) == [1, 24, 23, 24]
    assert date(2026, 3, 8).weekday() == 6


def test_weekday_factors_need_two_weeks() -> None:
    assert weekday_factors([1] * 13, 0) == [1.0] * 7
    factors = weekday_factors([2, 2, 2, 2, 2, 1, 1] * 2, 6)  # last day is a Sunday
    assert factors[0] == pytest.approx(2 / (12 / 7))
    assert factors[6] == pytest.approx(1 / (12 / 7))
