from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubeopt_collector.domain.cron import CronSchedule

T0 = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday


def starts(expression: str, hours: float = 24) -> list[datetime]:
    return list(CronSchedule.parse(expression).starts_between(T0, T0 + timedelta(hours=hours)))


def test_every_thirty_minutes() -> None:
    got = starts("*/30 * * * *", hours=2)
    assert got == [T0 + timedelta(minutes=m) for m in (0, 30, 60, 90)]


def test_ranges_lists_and_steps() -> None:
    got = starts("15 9-11,14 * * *")
    assert [t.hour for t in got] == [9, 10, 11, 14]
    assert {t.minute for t in got} == {15}


def test_macros_and_day_of_week() -> None:
    assert starts("@daily", hours=72) == [T0, T0 + timedelta(days=1), T0 + timedelta(days=2)]
    sundays = list(CronSchedule.parse("0 3 * * 7").starts_between(T0, T0 + timedelta(days=14)))
    assert [t.isoweekday() for t in sundays] == [7, 7]


def test_restricted_day_of_month_or_week_matches_either() -> None:
    # 1st of the month OR Mondays, as cron does when both are restricted.
    got = list(CronSchedule.parse("0 0 1 * 1").starts_between(T0, T0 + timedelta(days=28)))
    assert [t.day for t in got] == [6, 13, 20, 27, 1]  # Mondays, then 1 February


def test_range_end_is_exclusive() -> None:
    schedule = CronSchedule.parse("0 * * * *")
    assert list(schedule.starts_between(T0, T0 + timedelta(hours=1))) == [T0]


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("* * * *", "must have 5 fields, found 4"),
        ("61 * * * *", "minute 61 is outside 0-59"),
        ("* 5-2 * * *", "hour range '5-2' is reversed"),
        ("*/0 * * * *", "minute step 0 is outside"),
        ("x * * * *", "minute 'x' is not a number"),
    ],
)
def test_bad_expressions_name_the_field(expression: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        CronSchedule.parse(expression)
