"""Query windows: ``30m``/``1h``/``24h``/``7d``/``today``/``yesterday``/``week``/``lastweek``/
``month``/``lastmonth`` or an RFC 3339 pair ``start,end``; half-open ``[start, end)``, UTC.

Relative windows end at the current minute's end. Windows longer than 48 hours are widened to
whole hours, so they are answered from the hourly rollups (raw rows are kept for a shorter time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^(\d{1,5})([mhd])$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
HOURLY_THRESHOLD = timedelta(hours=48)


class WindowError(ValueError):
    """The window text cannot be understood; the message says why."""


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def hour_aligned(self) -> bool:
        return _floor_hour(self.start) == self.start and _floor_hour(self.end) == self.end


def _floor_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _ceil(t: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    n = -(-(t - epoch) // step)
    return epoch + n * step


def _day(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def _month(t: datetime, offset: int = 0) -> datetime:
    month_index = t.year * 12 + (t.month - 1) + offset
    return datetime(month_index // 12, month_index % 12 + 1, 1, tzinfo=UTC)


def _named(text: str, now: datetime) -> Window | None:
    today = _day(now)
    monday = today - timedelta(days=today.weekday())
    named = {
        "today": (today, today + timedelta(days=1)),
        "yesterday": (today - timedelta(days=1), today),
        "week": (monday, monday + timedelta(days=7)),
        "lastweek": (monday - timedelta(days=7), monday),
        "month": (_month(now), _month(now, 1)),
        "lastmonth": (_month(now, -1), _month(now)),
    }
    bounds = named.get(text)
    return Window(*bounds) if bounds else None


def _parse_instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as err:
        raise WindowError(f"{text!r} is not an RFC 3339 timestamp") from err
    if value.tzinfo is None:
        raise WindowError(f"{text!r} has no UTC offset (RFC 3339 requires one)")
    return value.astimezone(UTC)


def parse_window(text: str, *, now: datetime) -> Window:
    """Resolve ``text`` against ``now`` (aware). Raises :class:`WindowError` naming the problem."""
    text = text.strip().lower() if "," not in text else text.strip()
    if match := _DURATION.match(text):
        amount, unit = int(match[1]), match[2]
        if amount == 0:
            raise WindowError("a window must be longer than zero")
        end = _ceil(now, timedelta(minutes=1))
        window = Window(end - amount * _UNITS[unit], end)
    elif "," in text:
        start_text, _, end_text = text.partition(",")
        window = Window(_parse_instant(start_text), _parse_instant(end_text))
        if window.end <= window.start:
            raise WindowError("the window's end must be after its start")
    elif (named := _named(text, now)) is not None:
        window = named
    else:
        raise WindowError(
            f"{text!r} is not a window: use e.g. 30m, 1h, 7d, today, yesterday, week, lastweek, "
            "month, lastmonth, or 'start,end' in RFC 3339"
        )
    if window.end - window.start > HOURLY_THRESHOLD and not window.hour_aligned:
        window = Window(_floor_hour(window.start), _ceil(window.end, timedelta(hours=1)))
    return window


def parse_step(text: str) -> int:
    """A series step like ``1h`` or ``1d`` in seconds (at least one minute)."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise WindowError(f"{text!r} is not a step: use e.g. 1h, 6h or 1d")
    return int(match[1]) * int(_UNITS[match[2]].total_seconds())
