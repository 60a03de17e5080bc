"""Usage profiles: one serialised profile per container, read-modify-written under a row lock."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_recommender.domain.observations import ContainerKey
from kubeopt_recommender.domain.usage_profile import UsageProfile
from kubeopt_recommender.models import UsageProfileRow

_KEY = (
    UsageProfileRow.cluster,
    UsageProfileRow.namespace,
    UsageProfileRow.workload_kind,
    UsageProfileRow.workload,
    UsageProfileRow.container,
)


def _key(row: UsageProfileRow) -> ContainerKey:
    return (row.cluster, row.namespace, row.workload_kind, row.workload, row.container)


async def load_profiles(
    session: AsyncSession, keys: Collection[ContainerKey], *, lock: bool = False
) -> dict[ContainerKey, UsageProfile]:
    """The stored profiles of ``keys`` (missing keys are absent). ``lock`` takes row locks in
    key order (PostgreSQL ``FOR UPDATE``), so concurrent folds of a container serialise."""
    if not keys:
        return {}
    stmt = select(UsageProfileRow).where(tuple_(*_KEY).in_(sorted(keys))).order_by(*_KEY)
    if lock:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt)
    return {_key(row): UsageProfile.from_bytes(row.state) for row in result.scalars().all()}


async def save_profiles(
    session: AsyncSession,
    profiles: Mapping[ContainerKey, UsageProfile],
    *,
    existing: Collection[ContainerKey],
    now: datetime,
) -> None:
    """Write ``profiles``: UPDATE those in ``existing``, INSERT the others. A plain INSERT on
    purpose: a concurrent first fold of the same container fails one transaction (retried)."""
    new_rows = []
    for key in sorted(profiles):
        state = profiles[key].to_bytes()
        if key in existing:
            await session.execute(
                update(UsageProfileRow)
                .where(tuple_(*_KEY) == tuple_(*key))
                .values(state=state, updated_at=now)
            )
        else:
            cluster, namespace, kind, workload, container = key
            new_rows.append(
                {
                    "cluster": cluster,
                    "namespace": namespace,
                    "workload_kind": kind,
                    "workload": workload,
                    "container": container,
                    "state": state,
                    "updated_at": now,
                }
            )
    if new_rows:
        await session.execute(insert(UsageProfileRow), new_rows)
