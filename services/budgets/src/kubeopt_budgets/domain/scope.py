"""What a budget covers: cluster and namespace name patterns, and a namespace label selector.

``spend.updated`` names a (cluster, namespace) and carries no labels. Names are matched with
shell-style patterns (``team-a-*``); a label selector (Kubernetes syntax: ``team=shop``,
``env!=dev``, ``tier in (web,api)``, ``tier notin (batch)``, ``gpu``, ``!legacy``) is matched
against the namespace's labels as last seen in ``inventory.snapshotted``. A namespace whose
labels were never seen matches no label selector.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

from kubeopt_budgets.errors import InvalidBudgetError

_KEY = r"[A-Za-z0-9]([A-Za-z0-9._/-]{0,315}[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?"
_SET_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s+(?P<op>in|notin)\s+\((?P<values>[^()]*)\)\s*$")
_EQ_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s*(?P<op>==|=|!=)\s*(?P<value>{_VALUE})\s*$")
_EXISTS_RE = re.compile(rf"^\s*(?P<neg>!?)\s*(?P<key>{_KEY})\s*$")
_VALUE_RE = re.compile(rf"^{_VALUE}$")
_SPLIT_RE = re.compile(r",(?![^(]*\))")  # commas outside parentheses separate requirements


class Operator(StrEnum):
    EQUALS = "="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    EXISTS = "exists"
    NOT_EXISTS = "!exists"


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator is Operator.EXISTS:
            return present
        if self.operator is Operator.NOT_EXISTS:
            return not present
        if self.operator in (Operator.EQUALS, Operator.IN):
            return present and labels[self.key] in self.values
        # Kubernetes semantics: != and notin also match when the key is absent.
        return not present or labels[self.key] not in self.values


def _requirement(text: str) -> Requirement:
    if match := _SET_RE.match(text):
        values = frozenset(v.strip() for v in match["values"].split(",") if v.strip())
        if not values or not all(_VALUE_RE.match(v) for v in values):
            msg = f"{text.strip()!r}: the set needs one or more valid label values"
            raise InvalidBudgetError(msg, field="scope.namespace_selector")
        op = Operator.IN if match["op"] == "in" else Operator.NOT_IN
        return Requirement(match["key"], op, values)
    if match := _EQ_RE.match(text):
        op = Operator.NOT_EQUALS if match["op"] == "!=" else Operator.EQUALS
        return Requirement(match["key"], op, frozenset({match["value"]}))
    if match := _EXISTS_RE.match(text):
        op = Operator.NOT_EXISTS if match["neg"] else Operator.EXISTS
        return Requirement(match["key"], op)
    msg = (
        f"{text.strip()!r} is not a label requirement (use key=value, key!=value, "
        "key in (a,b), key notin (a,b), key or !key)"
    )
    raise InvalidBudgetError(msg, field="scope.namespace_selector")


def parse_selector(text: str) -> tuple[Requirement, ...]:
    """A Kubernetes label selector string as requirements (all must match); ``""`` is none."""
    if not text.strip():
        return ()
    return tuple(_requirement(part) for part in _SPLIT_RE.split(text))


@dataclass(frozen=True, slots=True)
class Scope:
    """Cluster and namespace name patterns (empty = any) and a namespace label selector.

    At least one of the three must be given: a budget over "everything" says so with ``*``.
    """

    clusters: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    namespace_selector: str = ""

    def __post_init__(self) -> None:
        if not (self.clusters or self.namespaces or self.namespace_selector.strip()):
            msg = "name at least one cluster, namespace or namespace label selector ('*' for all)"
            raise InvalidBudgetError(msg, field="scope")
        for field, patterns in (("clusters", self.clusters), ("namespaces", self.namespaces)):
            if any(not p.strip() for p in patterns):
                msg = "patterns must not be empty"
                raise InvalidBudgetError(msg, field=f"scope.{field}")
        parse_selector(self.namespace_selector)

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        return parse_selector(self.namespace_selector)

    @property
    def needs_labels(self) -> bool:
        return bool(self.namespace_selector.strip())

    def literal_clusters(self) -> tuple[str, ...] | None:
        """The cluster names when every pattern is a plain name (an SQL filter), else None."""
        if self.clusters and not any(set(p) & set("*?[") for p in self.clusters):
            return self.clusters
        return None

    def matches(self, cluster: str, namespace: str, labels: Mapping[str, str] | None) -> bool:
        """Whether spend of ``namespace`` in ``cluster`` counts; ``labels`` None = unknown."""
        if self.clusters and not any(fnmatchcase(cluster, p) for p in self.clusters):
            return False
        if self.namespaces and not any(fnmatchcase(namespace, p) for p in self.namespaces):
            return False
        if self.needs_labels:
            return labels is not None and all(r.matches(labels) for r in self.requirements)
        return True

    def describe(self) -> str:
        """One line for people and for ``budget.threshold_crossed``'s ``scope``."""
        parts = []
        if self.clusters:
            parts.append(f"cluster={','.join(self.clusters)}")
        if self.namespaces:
            parts.append(f"namespace={','.join(self.namespaces)}")
        if self.needs_labels:
            parts.append(f"labels({self.namespace_selector.strip()})")
        return " ".join(parts)
