"""The channel plugin contract.

An entry point in the ``kubeopt.channels`` group names a *channel type*: a class with a ``type``
name and a ``from_params`` constructor. Each configured channel (settings ``channels``) is one
instance, built from its ``params``; the notifier calls :meth:`Channel.send` for every
notification and records the :class:`~kubeopt_notifier.domain.DeliveryResult`.

``send`` must not raise for delivery problems: it answers ``failed`` (the destination refused)
or ``retryable`` (transient; ``retry_after_s`` when the destination said when). An exception
or a timeout is recorded by the notifier as failed / retryable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from pydantic import JsonValue

from kubeopt_notifier.domain import DeliveryResult, Notification


class Channel(Protocol):
    """One configured destination."""

    @property
    def name(self) -> str:
        """The configured channel name (unique per notifier)."""
        ...

    @property
    def type(self) -> str:
        """The channel type name, as registered in ``kubeopt.channels``."""
        ...

    async def send(self, notification: Notification) -> DeliveryResult: ...


class ChannelType(Protocol):
    """What a ``kubeopt.channels`` entry point loads: usually the channel class itself."""

    @property
    def type(self) -> str: ...

    def from_params(self, *, name: str, params: Mapping[str, JsonValue]) -> Channel:
        """Build a channel; raise ``ChannelConfigError`` naming the bad param."""
        ...
