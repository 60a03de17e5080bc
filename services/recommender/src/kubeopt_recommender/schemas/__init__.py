"""Request and response models of the recommender API (they are its OpenAPI documentation)."""

from kubeopt_recommender.schemas.observations import (
    AnalyzerOut,
    AnalyzersOut,
    ObservationOut,
    ObservationsOut,
)

__all__ = ["AnalyzerOut", "AnalyzersOut", "ObservationOut", "ObservationsOut"]
