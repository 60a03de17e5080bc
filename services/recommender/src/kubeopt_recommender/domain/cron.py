"""The hours a five-field cron schedule starts at, and the same schedule moved by some hours.

Only the minute and hour fields matter for carbon-aware shifting (grid intensity follows the
hour of day); day-of-month, month and day-of-week are kept as written. Kubernetes evaluates a
CronJob schedule in the controller's time zone (UTC unless ``spec.timeZone`` is set); hours here
are UTC. Supported syntax: ``*``, ``*/n``, ``a``, ``a-b``, ``a-b/n`` and comma lists; the
``@hourly``/``@daily``/``@midnight`` macros.
"""

from __future__ import annotations

from dataclasses import dataclass

_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


class CronError(ValueError):
    """A schedule this module cannot read; the message names the schedule and the field."""


def _field_values(text: str, low: int, high: int, *, schedule: str, name: str) -> list[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                first, last = low, high
            elif "-" in body:
                a, b = body.split("-", 1)
                first, last = int(a), int(b)
            else:
                first = last = int(body)
                if step_text:
                    last = high
        except ValueError:
            msg = f"schedule {schedule!r}: cannot read the {name} field {text!r}"
            raise CronError(msg) from None
        if step < 1 or not low <= first <= last <= high:
            msg = f"schedule {schedule!r}: {name} field {text!r} is outside {low}-{high}"
            raise CronError(msg)
        values.update(range(first, last + 1, step))
    return sorted(values)


@dataclass(frozen=True, slots=True)
class CronHours:
    """Start times of a schedule within a day: minutes past the hour and UTC hours."""

    schedule: str
    fields: tuple[str, str, str, str, str]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]

    @property
    def runs_per_day(self) -> int:
        """Starts on a day the schedule runs (day-of-month/week rules are not counted)."""
        return len(self.minutes) * len(self.hours)

    @property
    def start_hours(self) -> list[float]:
        """Every start as a fractional UTC hour, e.g. 2.5 for 02:30."""
        return [h + m / 60 for h in self.hours for m in self.minutes]

    @property
    def every_hour(self) -> bool:
        return len(self.hours) == 24

    def shifted(self, hours: int) -> str:
        """The same schedule with every start hour moved forward by ``hours`` (mod 24)."""
        moved = sorted((h + hours) % 24 for h in self.hours)
        minute, _, dom, month, dow = self.fields
        return " ".join((minute, ",".join(str(h) for h in moved), dom, month, dow))


def parse_hours(schedule: str) -> CronHours:
    """Read ``schedule``; raises :class:`CronError` naming what is wrong."""
    expanded = _MACROS.get(schedule.strip(), schedule.strip())
    parts = expanded.split()
    if len(parts) != 5:
        msg = f"schedule {schedule!r} must have 5 fields (minute hour day month weekday)"
        raise CronError(msg)
    minute, hour, dom, month, dow = parts
    return CronHours(
        schedule=schedule,
        fields=(minute, hour, dom, month, dow),
        minutes=tuple(_field_values(minute, 0, 59, schedule=schedule, name="minute")),
        hours=tuple(_field_values(hour, 0, 23, schedule=schedule, name="hour")),
    )
