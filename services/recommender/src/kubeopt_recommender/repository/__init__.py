"""SQL of the recommender service, one module per concept. Works on PostgreSQL (psycopg 3) and
SQLite (aiosqlite). Repositories never commit: the handler or route owning the unit of work does.
"""

from kubeopt_recommender.repository.observations import (
    get_observations,
    list_observations,
    mark_processed,
    processed_event_ids,
    prune_processed,
    upsert_observations,
)

__all__ = [
    "get_observations",
    "list_observations",
    "mark_processed",
    "processed_event_ids",
    "prune_processed",
    "upsert_observations",
]
