"""SQL of the collector's registry (SQLAlchemy 2 typed queries only). Nothing here commits:
the caller's unit of work does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_collector.domain.clusters import ClusterSpec
from kubeopt_collector.models import CheckpointRow, ClusterRow
from kubeopt_common.db.database import upsert_statement


def spec_of(row: ClusterRow) -> ClusterSpec:
    """The stored cluster as its spec (validated again: the JSON is ours)."""
    return ClusterSpec.model_validate(
        {"name": row.name, "provider": row.provider, "region": row.region, "sources": row.sources}
    )


def _sources_json(spec: ClusterSpec) -> list[dict[str, object]]:
    return [s.model_dump(mode="json") for s in spec.sources]


async def list_clusters(session: AsyncSession) -> Sequence[ClusterRow]:
    return (await session.scalars(select(ClusterRow).order_by(ClusterRow.name))).all()


async def get_cluster(session: AsyncSession, ref: str) -> ClusterRow | None:
    """A cluster by id (a UUID) or by name."""
    try:
        cluster_id = uuid.UUID(ref)
    except ValueError:
        return await session.scalar(select(ClusterRow).where(ClusterRow.name == ref))
    return await session.get(ClusterRow, cluster_id)


async def add_cluster(session: AsyncSession, spec: ClusterSpec) -> ClusterRow:
    now = datetime.now(UTC)
    row = ClusterRow(
        id=uuid.uuid4(),
        name=spec.name,
        provider=spec.provider.value,
        region=spec.region,
        sources=_sources_json(spec),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


def replace_cluster(row: ClusterRow, spec: ClusterSpec) -> None:
    row.name = spec.name
    row.provider = spec.provider.value
    row.region = spec.region
    row.sources = _sources_json(spec)
    row.updated_at = datetime.now(UTC)


async def delete_cluster(session: AsyncSession, row: ClusterRow) -> None:
    await session.execute(delete(CheckpointRow).where(CheckpointRow.cluster_id == row.id))
    await session.delete(row)


async def get_checkpoint(
    session: AsyncSession, cluster_id: uuid.UUID, source: str, key: str
) -> str | None:
    row = await session.get(CheckpointRow, (cluster_id, source, key))
    return None if row is None else row.value


async def put_checkpoint(
    session: AsyncSession, cluster_id: uuid.UUID, source: str, key: str, value: str
) -> None:
    now = datetime.now(UTC)
    statement = upsert_statement(session, CheckpointRow).values(
        cluster_id=cluster_id, source=source, key=key, value=value, updated_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["cluster_id", "source", "key"],
            set_={"value": value, "updated_at": now},
        )
    )
