"""Request and response models of the budgets API (they are its OpenAPI documentation)."""

from kubeopt_budgets.schemas.budgets import BudgetIn, BudgetOut, BudgetsOut
from kubeopt_budgets.schemas.spend import NamespaceSpendOut, SpendReport
from kubeopt_budgets.schemas.status import BudgetStatusOut

__all__ = [
    "BudgetIn",
    "BudgetOut",
    "BudgetStatusOut",
    "BudgetsOut",
    "NamespaceSpendOut",
    "SpendReport",
]
