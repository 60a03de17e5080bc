"""SQL of namespace labels seen in ``inventory.snapshotted``. Never commits."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets.models import NamespaceLabels
from kubeopt_common.db.database import upsert_statement

Labels = Mapping[str, str]


async def upsert_labels(
    session: AsyncSession,
    rows: Sequence[tuple[str, str, Labels]],
    *,
    taken_at: datetime,
) -> None:
    """Store (cluster, namespace, labels); an older snapshot never overwrites a newer one."""
    if not rows:
        return
    stmt = upsert_statement(session, NamespaceLabels)
    upsert = stmt.on_conflict_do_update(
        index_elements=[NamespaceLabels.cluster, NamespaceLabels.namespace],
        set_={"labels": stmt.excluded.labels, "taken_at": stmt.excluded.taken_at},
        where=stmt.excluded.taken_at >= NamespaceLabels.taken_at,
    )
    # One row per key: a statement cannot update a row twice.
    unique = {(c, n): dict(labels) for c, n, labels in rows}
    await session.execute(
        upsert,
        [
            {"cluster": c, "namespace": n, "labels": labels, "taken_at": taken_at}
            for (c, n), labels in sorted(unique.items())
        ],
    )


async def remove_labels(session: AsyncSession, keys: Collection[tuple[str, str]]) -> None:
    if keys:
        await session.execute(
            delete(NamespaceLabels).where(
                tuple_(NamespaceLabels.cluster, NamespaceLabels.namespace).in_(list(keys))
            )
        )


async def labels_of(
    session: AsyncSession, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, str]]:
    """Known labels of the (cluster, namespace) ``keys``; unknown keys are absent."""
    if not keys:
        return {}
    result = await session.execute(
        select(NamespaceLabels.cluster, NamespaceLabels.namespace, NamespaceLabels.labels).where(
            tuple_(NamespaceLabels.cluster, NamespaceLabels.namespace).in_(list(keys))
        )
    )
    return {(row[0], row[1]): dict(row[2]) for row in result.all()}
