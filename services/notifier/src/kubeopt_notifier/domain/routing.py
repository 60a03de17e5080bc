"""The Alertmanager-style routing tree: which routes a notification takes, and its group.

Every notification enters the root route (which matches everything). Children are tried in
order; a matching child takes it, and unless that child says ``continue: true`` the search
stops there. A route none of whose children match handles the notification itself. Unset
settings are inherited from the parent. Durations are seconds or strings such as ``30s``,
``5m``, ``4h``, ``1d``.

A notification's group on a route is given by the values of the route's ``group_by`` labels
(``["..."]`` = all labels: every distinct alert is its own group).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from kubeopt_notifier.domain.matchers import Matcher, matches_all, parse_matcher

ALL_LABELS = "..."
ALL_CHANNELS = "*"
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration_s(value: object) -> object:
    """``30s``/``5m``/``4h``/``1d``/``250ms`` or a number of seconds → seconds."""
    if isinstance(value, str):
        match = _DURATION_RE.match(value)
        if match is None:
            msg = f"{value!r} is not a duration (e.g. 30s, 5m, 4h)"
            raise ValueError(msg)
        return float(match[1]) * _UNIT_S[match[2]]
    return value


Seconds = Annotated[float, BeforeValidator(parse_duration_s), Field(ge=0)]


class RouteConfig(BaseModel):
    """One node of the routing tree, as configured (settings ``KUBEOPT_ROUTE``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    channels: list[str] | None = Field(
        default=None, description="Channel names, '*' for every enabled channel; inherited"
    )
    matchers: list[str] = Field(default_factory=list, description="All must match")
    group_by: list[str] | None = None
    group_wait: Seconds | None = None
    group_interval: Seconds | None = None
    repeat_interval: Seconds | None = None
    continue_: bool = Field(default=False, alias="continue")
    routes: list[RouteConfig] = Field(default_factory=list)

    @field_validator("matchers")
    @classmethod
    def _parseable(cls, matchers: list[str]) -> list[str]:
        for text in matchers:
            parse_matcher(text)
        return matchers


DEFAULT_ROOT = RouteConfig(
    channels=[ALL_CHANNELS],
    group_by=[ALL_LABELS],
    # Budget crossings and anomalies go out at once; Alertmanager's 30 s default would only
    # delay a single event.
    group_wait=0.0,
    group_interval=300.0,
    repeat_interval=4 * 3600.0,
    routes=[
        # New recommendations arrive in bursts: one digest per cluster instead of one message
        # per recommendation.
        RouteConfig(matchers=["kind=recommendation"], group_by=["cluster", "kind"], group_wait=30.0)
    ],
)


@dataclass(frozen=True, slots=True)
class Route:
    """A route with everything inherited resolved. ``id`` is its path, e.g. ``0.1``."""

    id: str
    matchers: tuple[Matcher, ...]
    channels: tuple[str, ...]
    group_by: tuple[str, ...]
    group_wait_s: float
    group_interval_s: float
    repeat_interval_s: float
    continue_: bool
    children: tuple[Route, ...]

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        if ALL_LABELS in self.group_by:
            return dict(labels)
        return {name: labels.get(name, "") for name in self.group_by}

    def group_key(self, labels: Mapping[str, str]) -> str:
        return stable_hash({"route": self.id, "group": self.group_labels(labels)})


class RouteConfigError(ValueError):
    pass


def resolve(config: RouteConfig, parent: Route | None = None, *, route_id: str = "0") -> Route:
    """The resolved tree of ``config``; the root must match everything and name channels."""
    if parent is None:
        if config.matchers:
            raise RouteConfigError("the root route must not have matchers: it takes everything")
        if not config.channels:
            raise RouteConfigError("the root route must name channels ('*' for all)")

    def pick(value: float | None, inherited: float | None, default: float) -> float:
        return value if value is not None else (inherited if inherited is not None else default)

    route = Route(
        id=route_id,
        matchers=tuple(parse_matcher(m) for m in config.matchers),
        channels=tuple(config.channels or (parent.channels if parent else ())),
        group_by=tuple(config.group_by or (parent.group_by if parent else (ALL_LABELS,))),
        group_wait_s=pick(config.group_wait, parent.group_wait_s if parent else None, 30.0),
        group_interval_s=pick(
            config.group_interval, parent.group_interval_s if parent else None, 300.0
        ),
        repeat_interval_s=pick(
            config.repeat_interval, parent.repeat_interval_s if parent else None, 14400.0
        ),
        continue_=config.continue_,
        children=(),
    )
    children = tuple(
        resolve(child, route, route_id=f"{route_id}.{i}") for i, child in enumerate(config.routes)
    )
    return replace(route, children=children)


def _match(route: Route, labels: Mapping[str, str]) -> list[Route]:
    if not matches_all(route.matchers, labels):
        return []
    taken: list[Route] = []
    for child in route.children:
        found = _match(child, labels)
        taken.extend(found)
        if found and not child.continue_:
            break
    return taken or [route]


def routes_for(root: Route, labels: Mapping[str, str]) -> list[Route]:
    """The routes that handle a notification with ``labels``, in tree order."""
    return _match(root, labels)


def stable_hash(value: object) -> str:
    """A hex SHA-256 of ``value``'s canonical JSON (group keys and alert fingerprints)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(labels: Mapping[str, str]) -> str:
    """The alert's identity for repeat suppression: its labels, not its event id."""
    return stable_hash(dict(labels))
