"""SQL of the budgets service (PostgreSQL and SQLite). Repositories never commit: the handler
or route that owns the unit of work does."""

from kubeopt_budgets.repository.budgets import (
    add_budget,
    delete_budget,
    find_budget,
    list_budgets,
    lock_budgets,
    name_taken,
)
from kubeopt_budgets.repository.crossings import (
    crossed_keys,
    crossings_by_id,
    crossings_of,
    insert_new_crossings,
    mark_published,
    unpublished_crossings,
)
from kubeopt_budgets.repository.labels import labels_of, remove_labels, upsert_labels
from kubeopt_budgets.repository.spend import (
    get_spend_total,
    spend_by_namespace,
    spend_windows,
    upsert_spend_totals,
)

__all__ = [
    "add_budget",
    "crossed_keys",
    "crossings_by_id",
    "crossings_of",
    "delete_budget",
    "find_budget",
    "get_spend_total",
    "insert_new_crossings",
    "labels_of",
    "list_budgets",
    "lock_budgets",
    "mark_published",
    "name_taken",
    "remove_labels",
    "spend_by_namespace",
    "spend_windows",
    "unpublished_crossings",
    "upsert_labels",
    "upsert_spend_totals",
]
