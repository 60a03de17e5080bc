"""Errors of the collector's registry."""

from __future__ import annotations


class CollectorError(Exception):
    """Base of the collector's own errors."""


class ClusterNotFoundError(CollectorError, LookupError):
    """No registered cluster has that id or name."""


class ClusterExistsError(CollectorError, ValueError):
    """A cluster with that name is already registered."""


class SecretReferenceError(CollectorError, ValueError):
    """A secret reference that cannot be resolved (unset variable, unreadable file)."""
