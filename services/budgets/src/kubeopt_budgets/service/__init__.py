"""Use cases of the budgets service. They never commit: the handler or route that owns the unit
of work does, and publishes what they return after the commit."""

from kubeopt_budgets.service.budgets import (
    create_budget,
    delete_budget,
    get_budget,
    list_budgets,
    replace_budget,
)
from kubeopt_budgets.service.evaluation import (
    Measure,
    evaluate_spend,
    mark_published,
    measure,
    unpublished,
)
from kubeopt_budgets.service.inventory import record_namespaces
from kubeopt_budgets.service.spend import record_spend, spend_summary
from kubeopt_budgets.service.status import BudgetStatus, PastPeriod, budget_status

__all__ = [
    "BudgetStatus",
    "Measure",
    "PastPeriod",
    "budget_status",
    "create_budget",
    "delete_budget",
    "evaluate_spend",
    "get_budget",
    "list_budgets",
    "mark_published",
    "measure",
    "record_namespaces",
    "record_spend",
    "replace_budget",
    "spend_summary",
    "unpublished",
]
