"""Run the budgets service alone (distributed mode): ``python -m kubeopt_budgets``."""

from __future__ import annotations

from kubeopt_budgets.app import SERVICE, build
from kubeopt_budgets.settings import BudgetsSettings
from kubeopt_common.entrypoint import run_main


def main() -> None:
    run_main(SERVICE, BudgetsSettings, build)


if __name__ == "__main__":
    main()
