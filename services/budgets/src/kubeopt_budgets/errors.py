"""Errors of the budgets service."""

from __future__ import annotations


class BudgetsError(Exception):
    """Base of the budgets service's own errors."""


class InvalidSpendError(BudgetsError, ValueError):
    """A ``spend.updated`` event that can never be recorded (e.g. a non-USD currency)."""


class InvalidPeriodError(BudgetsError, ValueError):
    """A query period whose end is not after its start."""


class InvalidBudgetError(BudgetsError, ValueError):
    """A budget definition that cannot work; ``field`` names the offending input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class BudgetNotFoundError(BudgetsError, LookupError):
    """No budget has the given id or name."""


class BudgetNameTakenError(BudgetsError, ValueError):
    """Another budget already has this name (names are unique)."""
