"""Where each registered source resumes (last usage window, flow file offsets), kept in the
collector's database. Each call is its own short transaction."""

from __future__ import annotations

import uuid

from kubeopt_collector import repository
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work


class SourceCheckpoints:
    """Key/value checkpoints of one source of one cluster."""

    def __init__(self, db: Database, *, cluster_id: uuid.UUID, source: str) -> None:
        self._db = db
        self._cluster_id = cluster_id
        self._source = source

    async def get(self, key: str) -> str | None:
        async with unit_of_work(self._db.sessions) as session:
            return await repository.get_checkpoint(session, self._cluster_id, self._source, key)

    async def put(self, key: str, value: str) -> None:
        async with unit_of_work(self._db.sessions) as session:
            await repository.put_checkpoint(session, self._cluster_id, self._source, key, value)
