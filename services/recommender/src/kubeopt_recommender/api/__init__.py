"""HTTP routes of the recommender service. Thin: validate, call the service, shape the answer."""

from kubeopt_recommender.api.models import models_router
from kubeopt_recommender.api.observations import observations_router
from kubeopt_recommender.api.recommendations import LifecycleDeps, recommendations_router
from kubeopt_recommender.api.runs import runs_router

__all__ = [
    "LifecycleDeps",
    "models_router",
    "observations_router",
    "recommendations_router",
    "runs_router",
]
