"""Pure recommender domain: observations, usage profiles, rightsizing, spot, carbon, lifecycle.

No I/O here (import-linter enforces it). The observation names are re-exported for the
analyzer plugins, which build on :class:`ContainerHistory`.
"""

from kubeopt_recommender.domain.observations import (
    ContainerBatch,
    ContainerHistory,
    ContainerKey,
    HistoryFacts,
    aggregate_usage,
    history_facts,
)

__all__ = [
    "ContainerBatch",
    "ContainerHistory",
    "ContainerKey",
    "HistoryFacts",
    "aggregate_usage",
    "history_facts",
]
