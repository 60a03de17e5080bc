"""Alertmanager-style label matchers: ``name=value``, ``name!=value``, ``name=~re``,
``name!~re``. Regexes are anchored (fully match the value); a missing label is the empty
string, as in Alertmanager."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

_MATCHER_RE = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_./-]*)\s*(?P<op>=~|!~|!=|=)\s*(?P<value>.*?)\s*$"
)


class MatcherError(ValueError):
    """A matcher that cannot be parsed; the message quotes it and says why."""


class MatchOp(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: MatchOp
    value: str
    pattern: re.Pattern[str] | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op is MatchOp.EQUAL:
            return actual == self.value
        if self.op is MatchOp.NOT_EQUAL:
            return actual != self.value
        assert self.pattern is not None  # noqa: S101 - set by parse_matcher for regex ops
        found = self.pattern.fullmatch(actual) is not None
        return found if self.op is MatchOp.REGEX else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op.value}{self.value}"


def parse_matcher(text: str) -> Matcher:
    """One matcher from its text; quotes around the value are optional."""
    match = _MATCHER_RE.match(text)
    if match is None:
        msg = f"{text!r} is not a matcher (use name=value, name!=value, name=~regex, name!~regex)"
        raise MatcherError(msg)
    value = match["value"]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    op = MatchOp(match["op"])
    pattern = None
    if op in (MatchOp.REGEX, MatchOp.NOT_REGEX):
        try:
            pattern = re.compile(value)
        except re.error as err:
            raise MatcherError(f"{text!r}: invalid regex: {err}") from err
    return Matcher(match["name"], op, value, pattern)


def matches_all(matchers: tuple[Matcher, ...], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
