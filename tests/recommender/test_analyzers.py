"""The analyzer plugin point and the built-in ``history`` analyzer."""

from __future__ import annotations

from datetime import timedelta

from kubeopt_common.plugins import PluginGroup, available
from kubeopt_recommender.analyzers.history import HistoryAnalyzer
from kubeopt_recommender.analyzers.registry import installed_analyzers
from kubeopt_recommender.domain import ContainerHistory
from kubeopt_recommender.settings import AnalysisSettings
from tests.recommender.builders import T0


def _history(hours: float, windows: int) -> ContainerHistory:
    return ContainerHistory(
        key=("c1", "shop", "Deployment", "cart", "app"),
        first_seen=T0,
        last_seen=T0 + timedelta(hours=hours),
        windows_observed=windows,
        samples=windows,
        cpu_peak_millicores=10,
        memory_peak_bytes=10,
        oom_kills=0,
        restarts=0,
        cpu_request_millicores=10,
        memory_request_bytes=10,
        cpu_limit_millicores=None,
        memory_limit_bytes=None,
    )


def test_history_is_registered_as_an_entry_point() -> None:
    assert "history" in available(PluginGroup.ANALYZERS)
    analyzers = installed_analyzers(AnalysisSettings(min_history_hours=48))
    [history] = [a for a in analyzers if a.name == "history"]
    assert isinstance(history, HistoryAnalyzer)
    assert history.min_history_hours == 48


def test_history_analyzer_uses_the_configured_threshold() -> None:
    analyzer = HistoryAnalyzer.from_settings(AnalysisSettings())
    assert analyzer.analyze(_history(23.5, 282)) == {
        "history_hours": 23.5,
        "enough_history": False,
        "min_history_hours": 24.0,
        "windows_observed": 282,
    }
    assert analyzer.analyze(_history(24.0, 288))["enough_history"] is True


def test_history_hours_are_rounded_for_display() -> None:
    analyzer = HistoryAnalyzer(min_history_hours=1)
    assert analyzer.analyze(_history(1 / 3, 4))["history_hours"] == 0.333
