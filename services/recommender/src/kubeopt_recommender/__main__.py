"""Run the recommender service alone (distributed mode): ``python -m kubeopt_recommender``."""

from __future__ import annotations

from kubeopt_common.entrypoint import run_main
from kubeopt_recommender.app import SERVICE, build
from kubeopt_recommender.settings import RecommenderSettings


def main() -> None:
    run_main(SERVICE, RecommenderSettings, build)


if __name__ == "__main__":
    main()
