"""What the collector publishes from: the :class:`Source` port, and how plugins provide one.

A source plugin is registered in the ``kubeopt.sources`` entry-point group; the registered
object has ``from_settings(settings) -> Source`` (a class with a classmethod, typically).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_common.events import FlowsObserved, InventorySnapshotted, UsageSampled
from kubeopt_common.plugins import PluginGroup, load

if TYPE_CHECKING:
    from kubeopt_collector.settings import CollectorSettings


class Source(Protocol):
    """A cluster (or fleet) turned into events. Windows are aligned to ``interval_seconds``.

    A source must be deterministic per window: asking twice for the same window gives events
    with the same ids, so that a republished window is deduplicated downstream.
    """

    @property
    def kind(self) -> str: ...

    @property
    def clusters(self) -> Sequence[str]: ...

    @property
    def interval_seconds(self) -> int: ...

    def inventory_events(self, at: datetime) -> list[InventorySnapshotted]: ...

    def usage_events(self, window_start: datetime) -> list[UsageSampled]: ...

    def flow_events(self, window_start: datetime) -> list[FlowsObserved]: ...

    def window_messages(self, window_start: datetime) -> list[OutgoingMessage]:
        """Everything published for one window (usage and flows), serialised, in order.

        The payloads are the JSON of ``usage_events`` and ``flow_events``; a source may build
        them without the models (see :class:`~kubeopt_collector.publishing.OutgoingMessage`
        for the general path).
        """
        ...


class SourcePlugin(Protocol):
    """What a ``kubeopt.sources`` entry point loads."""

    def from_settings(self, settings: CollectorSettings) -> Source: ...


def load_source(settings: CollectorSettings) -> Source:
    """The source named by ``settings.source``; raises PluginError naming the choices."""
    plugin = cast(SourcePlugin, load(PluginGroup.SOURCES, settings.source))
    return plugin.from_settings(settings)
