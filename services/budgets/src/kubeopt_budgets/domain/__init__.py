"""Pure budget logic: spend bookkeeping, periods in a time zone, scopes, forecasts, thresholds.

Nothing here does I/O (import-linter enforces it); every function takes explicit arguments.
"""

from kubeopt_budgets.domain.spend import (
    NANO_PER_USD,
    SUPPORTED_CURRENCY,
    NamespaceSpendSummary,
    Period,
    SpendKey,
    SpendRank,
    SpendTotal,
    nano_usd_to_usd,
    reduce_totals,
    spend_rank,
    spend_total_from_event,
    winning_total,
)

__all__ = [
    "NANO_PER_USD",
    "SUPPORTED_CURRENCY",
    "NamespaceSpendSummary",
    "Period",
    "SpendKey",
    "SpendRank",
    "SpendTotal",
    "nano_usd_to_usd",
    "reduce_totals",
    "spend_rank",
    "spend_total_from_event",
    "winning_total",
]
