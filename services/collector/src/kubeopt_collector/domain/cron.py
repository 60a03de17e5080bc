"""Five-field cron schedules (the Kubernetes CronJob syntax), evaluated in UTC.

Fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12), day of week (0-6,
Sunday = 0; 7 is also Sunday). Each field is ``*``, a number, a range ``a-b``, a list ``a,b``,
and any of them with a step ``/n``. The macros ``@hourly``, ``@daily``/``@midnight``,
``@weekly``, ``@monthly`` and ``@yearly``/``@annually`` are accepted. As in cron, when both
day of month and day of week are restricted, a day matches if *either* matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)


def _parse_value(text: str, *, name: str, low: int, high: int) -> int:
    if not text.isdigit():
        msg = f"{name} {text!r} is not a number"
        raise ValueError(msg)
    value = int(text)
    if not low <= value <= high:
        msg = f"{name} {value} is outside {low}-{high}"
        raise ValueError(msg)
    return value


def _parse_part(part: str, *, name: str, low: int, high: int) -> set[int]:
    base, _, step_text = part.partition("/")
    step = _parse_value(step_text, name=f"{name} step", low=1, high=high) if step_text else 1
    if base == "*":
        first, last = low, high
    elif "-" in base:
        first_text, _, last_text = base.partition("-")
        first = _parse_value(first_text, name=name, low=low, high=high)
        last = _parse_value(last_text, name=name, low=low, high=high)
        if first > last:
            msg = f"{name} range {base!r} is reversed"
            raise ValueError(msg)
    else:
        first = _parse_value(base, name=name, low=low, high=high)
        last = high if step_text else first
    return set(range(first, last + 1, step))


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed schedule: the matching values of each field (minutes and hours sorted)."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    dom_restricted: bool
    dow_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        """Parse ``expression``; raises ``ValueError`` naming the bad field."""
        text = _MACROS.get(expression.strip(), expression.strip())
        fields = text.split()
        if len(fields) != len(_FIELDS):
            msg = f"cron schedule {expression!r} must have 5 fields, found {len(fields)}"
            raise ValueError(msg)
        values: list[set[int]] = []
        for field_text, (name, low, high) in zip(fields, _FIELDS, strict=True):
            parsed: set[int] = set()
            for part in field_text.split(","):
                try:
                    parsed |= _parse_part(part, name=name, low=low, high=high)
                except ValueError as err:
                    msg = f"cron schedule {expression!r}: {err}"
                    raise ValueError(msg) from None
            values.append(parsed)
        return cls(
            expression=expression,
            minutes=tuple(sorted(values[0])),
            hours=tuple(sorted(values[1])),
            days_of_month=frozenset(values[2]),
            months=frozenset(values[3]),
            days_of_week=frozenset(d % 7 for d in values[4]),
            dom_restricted=fields[2] != "*",
            dow_restricted=fields[4] != "*",
        )

    def _day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days_of_month
        dow = (day.isoweekday() % 7) in self.days_of_week
        if self.dom_restricted and self.dow_restricted:
            return dom or dow
        return dom and dow

    def starts_between(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Scheduled times ``t`` with ``start <= t < end`` (aware UTC), in order.

        Only the hours that overlap the range are visited, so a short range is cheap.
        """
        day = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        hour_s = timedelta(hours=1)
        while day < end:
            if self._day_matches(day):
                for hour in self.hours:
                    at_hour = day + timedelta(hours=hour)
                    if at_hour + hour_s <= start or at_hour >= end:
                        continue
                    for minute in self.minutes:
                        at = at_hour + timedelta(minutes=minute)
                        if start <= at < end:
                            yield at
            day += timedelta(days=1)
