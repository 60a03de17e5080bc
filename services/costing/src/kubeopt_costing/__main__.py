"""``python -m kubeopt_costing``: run costing alone (distributed mode), configured by env."""

from __future__ import annotations

from kubeopt_common.entrypoint import run_main
from kubeopt_costing.app import SERVICE, build
from kubeopt_costing.settings import CostingSettings


def main() -> None:
    run_main(SERVICE, CostingSettings, build)


if __name__ == "__main__":
    main()
