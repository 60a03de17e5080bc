"""Errors of the budgets service."""

from __future__ import annotations


class BudgetsError(Exception):
    """Base of the budgets service's own errors."""


class InvalidSpendError(BudgetsError, ValueError):
    """A ``spend.updated`` event that can never be recorded (e.g. a non-USD currency)."""


class InvalidPeriodError(BudgetsError, ValueError):
    """A query period whose end is not after its start."""
