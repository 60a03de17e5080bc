"""Plugin points: sources, cost models, analyzers and notification channels are found through
Python entry points, so others can add theirs with a package of their own (no fork)."""

from __future__ import annotations

from enum import StrEnum
from importlib.metadata import entry_points
from typing import Any


class PluginGroup(StrEnum):
    SOURCES = "kubeopt.sources"
    COST_MODELS = "kubeopt.cost_models"
    ANALYZERS = "kubeopt.analyzers"
    CHANNELS = "kubeopt.channels"


class PluginError(LookupError):
    pass


def available(group: PluginGroup) -> list[str]:
    """Names registered in ``group``, sorted."""
    return sorted(ep.name for ep in entry_points(group=group.value))


def load(group: PluginGroup, name: str) -> Any:
    """Load the object registered as ``name`` in ``group``; names the choices when unknown."""
    for ep in entry_points(group=group.value):
        if ep.name == name:
            return ep.load()
    choices = ", ".join(available(group)) or "none installed"
    msg = f"no {group.value} plugin named {name!r} (available: {choices})"
    raise PluginError(msg)
