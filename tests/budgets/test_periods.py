"""Budget periods in their own time zone: local midnights, DST days of 23 and 25 hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeopt_budgets.domain.periods import (
    PeriodKind,
    PeriodSpec,
    local_days,
    local_midnight,
    period_containing,
    previous_periods,
    time_zone,
)
from kubeopt_budgets.errors import InvalidBudgetError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
DAILY = PeriodSpec(PeriodKind.DAILY)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "instant", "start", "end", "hours"),
    [
        # Berlin springs forward on 2026-03-29 (CET → CEST): a 23-hour day.
        (BERLIN, utc(2026, 3, 29, 12), utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), 23),
        # … and falls back on 2026-10-25: a 25-hour day.
        (BERLIN, utc(2026, 10, 25, 12), utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25),
        # New York springs forward on 2026-03-08 and falls back on 2026-11-01.
        (NEW_YORK, utc(2026, 3, 8, 12), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23),
        (NEW_YORK, utc(2026, 11, 1, 12), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25),
    ],
)
def test_daily_periods_are_local_days_across_dst(
    tz: ZoneInfo, instant: datetime, start: datetime, end: datetime, hours: int
) -> None:
    period = period_containing(DAILY, tz, instant)
    assert (period.start, period.end) == (start, end)
    assert period.end - period.start == timedelta(hours=hours)


def test_rollover_happens_at_local_midnight_not_utc() -> None:
    # 23:30 UTC on 28 March is already 29 March 00:30 in Berlin (CET, +1).
    before = period_containing(DAILY, BERLIN, utc(2026, 3, 28, 22, 59))
    after = period_containing(DAILY, BERLIN, utc(2026, 3, 28, 23, 0))
    assert before.end == after.start == utc(2026, 3, 28, 23)
    assert before.start.astimezone(BERLIN).hour == after.start.astimezone(BERLIN).hour == 0


def test_monthly_period_spanning_a_dst_change_is_an_hour_short() -> None:
    march = period_containing(PeriodSpec(PeriodKind.MONTHLY), BERLIN, utc(2026, 3, 15))
    assert (march.start, march.end) == (utc(2026, 2, 28, 23), utc(2026, 3, 31, 22))
    assert march.end - march.start == timedelta(days=31, hours=-1)


def test_weekly_and_monthly_anchors() -> None:
    sunday_weeks = PeriodSpec(PeriodKind.WEEKLY, week_start=6)
    week = period_containing(sunday_weeks, NEW_YORK, utc(2026, 11, 4, 12))  # a Wednesday
    assert week.start.astimezone(NEW_YORK).date() == date(2026, 11, 1)  # Sunday, DST ends
    assert week.end - week.start == timedelta(days=7, hours=1)
    from_15th = PeriodSpec(PeriodKind.MONTHLY, month_day=15)
    before = period_containing(from_15th, ZoneInfo("UTC"), utc(2026, 1, 10))
    assert (before.start, before.end) == (utc(2025, 12, 15), utc(2026, 1, 15))


def test_custom_periods_repeat_both_ways_from_their_start() -> None:
    spec = PeriodSpec(PeriodKind.CUSTOM, custom_start=date(2026, 1, 1), custom_length_days=10)
    assert period_containing(spec, ZoneInfo("UTC"), utc(2026, 1, 25)).start == utc(2026, 1, 21)
    assert period_containing(spec, ZoneInfo("UTC"), utc(2025, 12, 31)).start == utc(2025, 12, 22)


def test_previous_periods_and_local_days() -> None:
    current = period_containing(DAILY, BERLIN, utc(2026, 3, 30, 12))
    yesterday, before = previous_periods(DAILY, BERLIN, current, 2)
    assert yesterday.end == current.start
    assert yesterday.end - yesterday.start == timedelta(hours=23)
    assert before.end == yesterday.start
    month = period_containing(PeriodSpec(PeriodKind.MONTHLY), BERLIN, utc(2026, 10, 10))
    days = local_days(BERLIN, month)
    assert len(days) == 31
    assert sorted({d.end - d.start for d in days}) == [timedelta(hours=24), timedelta(hours=25)]


def test_midnight_inside_a_dst_gap_starts_the_day_after_the_gap() -> None:
    # Havana skips 00:00–01:00 on 2026-03-08.
    havana = ZoneInfo("America/Havana")
    start = local_midnight(date(2026, 3, 8), havana)
    assert start.astimezone(havana).date() == date(2026, 3, 8)
    assert local_midnight(date(2026, 3, 7), havana) < start


@pytest.mark.parametrize(
    ("spec_kwargs", "field"),
    [
        ({"kind": PeriodKind.WEEKLY, "week_start": 7}, "period.week_start"),
        ({"kind": PeriodKind.MONTHLY, "month_day": 31}, "period.month_day"),
        ({"kind": PeriodKind.CUSTOM}, "period.start"),
        (
            {"kind": PeriodKind.CUSTOM, "custom_start": date(2026, 1, 1)},
            "period.length_days",
        ),
    ],
)
def test_bad_period_specs_name_the_field(spec_kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidBudgetError) as raised:
        PeriodSpec(**spec_kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_unknown_time_zone_names_the_field() -> None:
    with pytest.raises(InvalidBudgetError, match="Mars/Olympus") as raised:
        time_zone("Mars/Olympus")
    assert raised.value.field == "time_zone"


ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
KINDS = st.sampled_from(
    [
        DAILY,
        PeriodSpec(PeriodKind.WEEKLY, week_start=2),
        PeriodSpec(PeriodKind.MONTHLY, month_day=28),
        PeriodSpec(PeriodKind.CUSTOM, custom_start=date(2026, 2, 3), custom_length_days=9),
    ]
)


@given(
    zone=ZONES,
    spec=KINDS,
    # Hypothesis takes naive bounds and draws aware values in the given zones.
    instant=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001
        max_value=datetime(2035, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
)
def test_periods_contain_the_instant_and_tile_time(
    zone: str, spec: PeriodSpec, instant: datetime
) -> None:
    tz = ZoneInfo(zone)
    moment = instant
    period = period_containing(spec, tz, moment)
    assert period.start <= moment < period.end
    assert period_containing(spec, tz, period.end).start == period.end
    assert period.start.astimezone(tz).time().minute in (0, 30)  # a local midnight (or gap end)
