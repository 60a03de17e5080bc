"""The analyzer plugin contract.

An entry point in the ``kubeopt.analyzers`` group names an *analyzer type*: a class with a
``name``, a one-line ``description`` and a ``from_settings`` constructor. Its instances turn one
container's :class:`~kubeopt_recommender.domain.ContainerHistory` into a flat mapping of
findings (JSON scalars), shown next to the observation and later fed to the recommenders.
"""

from __future__ import annotations

from typing import Protocol, TypeAlias

from kubeopt_recommender.domain import ContainerHistory
from kubeopt_recommender.settings import AnalysisSettings

Findings: TypeAlias = dict[str, str | int | float | bool | None]


class Analyzer(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    def analyze(self, history: ContainerHistory) -> Findings:
        """Findings about one container; must be pure and fast (it runs per listed row)."""
        ...


class AnalyzerType(Protocol):
    """What a ``kubeopt.analyzers`` entry point loads: usually the analyzer class itself."""

    @property
    def name(self) -> str: ...

    def from_settings(self, settings: AnalysisSettings) -> Analyzer: ...
