"""Parsing ``30m``/``12h``/``7d`` durations given on the command line."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^(\d{1,6})([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match or int(match[1]) == 0:
        msg = f"{text!r} is not a duration like 90m, 12h or 7d"
        raise ValueError(msg)
    return timedelta(seconds=int(match[1]) * _UNIT[match[2]])
