"""Run the notifier service alone (distributed mode): ``python -m kubeopt_notifier``."""

from __future__ import annotations

from kubeopt_common.entrypoint import run_main
from kubeopt_notifier.app import SERVICE, build
from kubeopt_notifier.settings import NotifierSettings


def main() -> None:
    run_main(SERVICE, NotifierSettings, build)


if __name__ == "__main__":
    main()
