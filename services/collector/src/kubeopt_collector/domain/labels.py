"""Kubernetes label sets: interning (many pods share one set) and label selectors."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

EMPTY_LABELS: Mapping[str, str] = MappingProxyType({})


class LabelInterner:
    """Returns one shared read-only mapping per distinct label set.

    The pods of one ReplicaSet carry identical labels; sharing one mapping keeps the inventory
    of a 150,000-pod cluster small.
    """

    def __init__(self) -> None:
        self._sets: dict[tuple[tuple[str, str], ...], Mapping[str, str]] = {}

    def intern(self, labels: Mapping[str, str]) -> Mapping[str, str]:
        if not labels:
            return EMPTY_LABELS
        key = tuple(sorted((sys.intern(k), v) for k, v in labels.items()))
        found = self._sets.get(key)
        if found is None:
            found = self._sets[key] = MappingProxyType(dict(key))
        return found

    def __len__(self) -> int:
        return len(self._sets)


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        if self.operator == "In":
            return labels.get(self.key) in self.values
        return labels.get(self.key) not in self.values  # NotIn


_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A ``metav1.LabelSelector``: every requirement must hold. An empty selector matches
    everything; ``None`` (a missing selector) matches nothing, as for PodDisruptionBudgets."""

    requirements: tuple[Requirement, ...] | None

    @classmethod
    def parse(cls, raw: Any) -> LabelSelector:
        """Parse ``{"matchLabels": …, "matchExpressions": […]}``; ValueError when malformed."""
        if raw is None:
            return cls(None)
        if not isinstance(raw, Mapping):
            raise ValueError("selector is not an object")
        found = [
            Requirement(str(k), "In", frozenset({str(v)}))
            for k, v in (raw.get("matchLabels") or {}).items()
        ]
        for expr in raw.get("matchExpressions") or []:
            operator = expr.get("operator")
            if operator not in _OPERATORS:
                raise ValueError(
                    f"selector operator {operator!r} is not one of {sorted(_OPERATORS)}"
                )
            values = frozenset(str(v) for v in expr.get("values") or [])
            found.append(Requirement(str(expr["key"]), operator, values))
        return cls(tuple(found))

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.requirements is None:
            return False
        return all(r.matches(labels) for r in self.requirements)
