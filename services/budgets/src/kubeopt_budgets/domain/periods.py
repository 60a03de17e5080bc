"""Budget periods in the budget's own time zone: where one starts and ends, correct across DST.

A period is a run of whole *local* days: a daily period is one local calendar day (23 or 25
hours long on a DST change), a weekly one starts on a chosen weekday, a monthly one on a chosen
day of the month, a custom one is ``length_days`` local days repeating from a start date. Bounds
are computed as local midnights and converted to UTC, so a period never drifts by an hour when
the clocks change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kubeopt_budgets.domain.spend import Period
from kubeopt_budgets.errors import InvalidBudgetError

MAX_MONTH_DAY = 28  # every month has it, so a monthly period never skips a month


class PeriodKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    """How a budget's periods repeat.

    ``week_start``: 0 = Monday … 6 = Sunday (weekly). ``month_day``: 1–28 (monthly).
    ``custom_start`` / ``custom_length_days``: the local date a custom period starts on and its
    length in local days; periods repeat back and forth from it.
    """

    kind: PeriodKind
    week_start: int = 0
    month_day: int = 1
    custom_start: date | None = None
    custom_length_days: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.week_start <= 6:
            msg = f"week_start must be 0 (Monday) to 6 (Sunday), not {self.week_start}"
            raise InvalidBudgetError(msg, field="period.week_start")
        if not 1 <= self.month_day <= MAX_MONTH_DAY:
            msg = f"month_day must be 1 to {MAX_MONTH_DAY}, not {self.month_day}"
            raise InvalidBudgetError(msg, field="period.month_day")
        if self.kind is PeriodKind.CUSTOM:
            if self.custom_start is None:
                msg = "a custom period needs a start date"
                raise InvalidBudgetError(msg, field="period.start")
            if self.custom_length_days < 1:
                msg = f"a custom period lasts at least one day, not {self.custom_length_days}"
                raise InvalidBudgetError(msg, field="period.length_days")


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; :class:`InvalidBudgetError` naming ``time_zone`` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        msg = f"unknown IANA time zone {name!r} (e.g. Europe/Berlin, America/New_York, UTC)"
        raise InvalidBudgetError(msg, field="time_zone") from err


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which local ``day`` starts in ``tz``.

    Where midnight itself does not exist (a DST gap at 00:00), the day starts at the first
    local instant after the gap.
    """
    naive = datetime.combine(day, time(0))
    candidate = naive.replace(tzinfo=tz).astimezone(UTC)
    # In a gap, zoneinfo maps 00:00 with the offset before the change; the round trip then
    # lands on another local date or time. Walk forward to the first real local instant.
    while candidate.astimezone(tz).date() < day:
        candidate += timedelta(minutes=15)
    return candidate


def _first_day(spec: PeriodSpec, day: date) -> date:
    if spec.kind is PeriodKind.DAILY:
        return day
    if spec.kind is PeriodKind.WEEKLY:
        return day - timedelta(days=(day.weekday() - spec.week_start) % 7)
    if spec.kind is PeriodKind.MONTHLY:
        if day.day >= spec.month_day:
            return day.replace(day=spec.month_day)
        previous = day.replace(day=1) - timedelta(days=1)
        return previous.replace(day=spec.month_day)
    assert spec.custom_start is not None  # noqa: S101 - checked in PeriodSpec
    offset = (day - spec.custom_start).days // spec.custom_length_days
    return spec.custom_start + timedelta(days=offset * spec.custom_length_days)


def _next_first_day(spec: PeriodSpec, first: date) -> date:
    if spec.kind is PeriodKind.DAILY:
        return first + timedelta(days=1)
    if spec.kind is PeriodKind.WEEKLY:
        return first + timedelta(days=7)
    if spec.kind is PeriodKind.MONTHLY:
        year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
        return date(year, month, spec.month_day)
    return first + timedelta(days=spec.custom_length_days)


def period_containing(spec: PeriodSpec, tz: ZoneInfo, instant: datetime) -> Period:
    """The period of ``spec`` in ``tz`` that contains the aware ``instant`` (half-open, UTC)."""
    local_day = instant.astimezone(tz).date()
    first = _first_day(spec, local_day)
    start = local_midnight(first, tz)
    if instant < start:  # only possible right after a gap at midnight
        first = _first_day(spec, first - timedelta(days=1))
        start = local_midnight(first, tz)
    return Period(start, local_midnight(_next_first_day(spec, first), tz))


def previous_periods(spec: PeriodSpec, tz: ZoneInfo, current: Period, count: int) -> list[Period]:
    """The ``count`` periods before ``current``, most recent first."""
    periods: list[Period] = []
    cursor = current
    for _ in range(count):
        cursor = period_containing(spec, tz, cursor.start - timedelta(microseconds=1))
        periods.append(cursor)
    return periods


def local_days(tz: ZoneInfo, period: Period) -> list[Period]:
    """The local days of ``period`` as UTC ranges (23, 24 or 25 hours each)."""
    days: list[Period] = []
    day = period.start.astimezone(tz).date()
    start = period.start
    while start < period.end:
        end = min(local_midnight(day + timedelta(days=1), tz), period.end)
        days.append(Period(start, end))
        day += timedelta(days=1)
        start = end
    return days
