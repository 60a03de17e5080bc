"""Errors of the notifier service."""

from __future__ import annotations


class NotifierError(Exception):
    """Base of the notifier service's own errors."""


class ChannelConfigError(NotifierError, ValueError):
    """A configured channel names an unknown type or has invalid params; the message says which."""


class DeliveryFailedError(NotifierError):
    """At least one channel did not deliver; the bus redelivers the event later."""
