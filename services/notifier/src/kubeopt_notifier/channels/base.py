"""The channel plugin contract.

An entry point in the ``kubeopt.channels`` group names a *channel type*: a class with a ``type``
name and a ``from_params`` constructor. Each configured channel is one instance, built from its
``params``; the notifier's per-channel worker calls :meth:`Channel.send` for every message and
records the :class:`~kubeopt_notifier.domain.DeliveryResult`.

``send`` must not raise for delivery problems: it answers ``failed`` (the destination refused),
``gone`` (HTTP 410: disable the channel) or ``retryable`` (transient; ``retry_after_s`` when the
destination said when). An exception or a timeout is recorded by the notifier as retryable.
Errors must never contain the endpoint URL or a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from pydantic import JsonValue

from kubeopt_notifier.domain import DeliveryResult, Message


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

    @property
    def rate_limit(self) -> tuple[float, int] | None:
        """(messages per second, burst) this destination tolerates; None = unlimited."""
        ...

    async def send(self, message: Message) -> DeliveryResult: ...

    async def check(self) -> None:
        """Raise ``ChannelUnreachableError`` if the endpoint cannot be reached (no message is
        sent). Called when a channel is created through the API."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class ChannelType(Protocol):
    """What a ``kubeopt.channels`` entry point loads: usually the channel class itself."""

    @property
    def type(self) -> str: ...

    def from_params(self, *, name: str, params: Mapping[str, JsonValue]) -> Channel:
        """Build a channel; raise ``ChannelConfigError`` naming the bad param."""
        ...
