"""Use cases of the recommender, one module per concept. Never commits: the caller (handler,
route or job) owns the unit of work and publishes the returned events after it commits.
"""

from kubeopt_recommender.service.observations import (
    AnalyzedObservation,
    UsageRecorded,
    observations,
    prune_inbox,
    record_usage,
)

__all__ = ["AnalyzedObservation", "UsageRecorded", "observations", "prune_inbox", "record_usage"]
