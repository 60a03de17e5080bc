"""Analyzers from the ``kubeopt.analyzers`` entry points."""

from __future__ import annotations

from kubeopt_common.plugins import PluginError, PluginGroup, available, load
from kubeopt_recommender.analyzers.base import Analyzer
from kubeopt_recommender.errors import AnalyzerLoadError
from kubeopt_recommender.settings import AnalysisSettings


def installed_analyzers(settings: AnalysisSettings) -> list[Analyzer]:
    """One instance of every installed analyzer, sorted by name.

    Raises :class:`AnalyzerLoadError` naming the plugin that cannot be loaded or built.
    """
    analyzers: list[Analyzer] = []
    for name in available(PluginGroup.ANALYZERS):
        try:
            loaded = load(PluginGroup.ANALYZERS, name)
        except (PluginError, ImportError, AttributeError) as err:
            msg = f"analyzer {name!r} could not be loaded: {err}"
            raise AnalyzerLoadError(msg) from err
        if not callable(getattr(loaded, "from_settings", None)):
            msg = f"analyzer {name!r} ({loaded!r}) has no from_settings(settings)"
            raise AnalyzerLoadError(msg)
        analyzer: Analyzer = loaded.from_settings(settings)
        analyzers.append(analyzer)
    return analyzers
