"""Errors of the recommender service."""

from __future__ import annotations


class RecommenderError(Exception):
    """Base of the recommender service's own errors."""


class AnalyzerLoadError(RecommenderError, ValueError):
    """An installed ``kubeopt.analyzers`` plugin could not be loaded or has the wrong shape.

    A ``ValueError``: like bad settings, it is reported in one line and the command exits 2.
    """
