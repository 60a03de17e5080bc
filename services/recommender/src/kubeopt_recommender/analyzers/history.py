"""The ``history`` analyzer: how long a container has been observed, and is that enough."""

from __future__ import annotations

from typing import ClassVar

from kubeopt_recommender.analyzers.base import Findings
from kubeopt_recommender.domain import ContainerHistory, history_facts
from kubeopt_recommender.settings import AnalysisSettings


class HistoryAnalyzer:
    """Reports ``history_hours`` and ``enough_history`` (against ``min_history_hours``)."""

    name: ClassVar[str] = "history"
    description: ClassVar[str] = (
        "Hours of usage history per container and whether it reaches the minimum needed "
        "for a recommendation"
    )

    def __init__(self, *, min_history_hours: float) -> None:
        self.min_history_hours = min_history_hours

    @classmethod
    def from_settings(cls, settings: AnalysisSettings) -> HistoryAnalyzer:
        return cls(min_history_hours=settings.min_history_hours)

    def analyze(self, history: ContainerHistory) -> Findings:
        facts = history_facts(history, min_history_hours=self.min_history_hours)
        return {
            "history_hours": round(facts.history_hours, 3),
            "enough_history": facts.enough_history,
            "min_history_hours": self.min_history_hours,
            "windows_observed": history.windows_observed,
        }
