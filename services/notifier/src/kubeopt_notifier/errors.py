"""Errors of the notifier service."""

from __future__ import annotations


class NotifierError(Exception):
    """Base of the notifier service's own errors."""


class ChannelConfigError(NotifierError, ValueError):
    """A channel names an unknown type or has invalid params; ``field`` names the input."""

    def __init__(self, message: str, *, field: str = "params") -> None:
        super().__init__(message)
        self.field = field


class ChannelUnreachableError(NotifierError):
    """A channel's endpoint cannot be reached; the message names host and port, never the URL."""

    def __init__(self, message: str, *, field: str = "params.url") -> None:
        super().__init__(message)
        self.field = field


class ChannelNotFoundError(NotifierError, LookupError):
    """No channel has this name."""


class ChannelReadOnlyError(NotifierError, ValueError):
    """The channel is defined in settings; change it there."""


class ChannelExistsError(NotifierError, ValueError):
    """A channel with this name exists."""


class SilenceNotFoundError(NotifierError, LookupError):
    """No silence has this id."""
