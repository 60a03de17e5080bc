"""Nodes seen in usage events: what costing is asked to price."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import upsert_statement
from kubeopt_common.events import Node, Provider
from kubeopt_recommender.domain.samples import SeenNode
from kubeopt_recommender.models import NodeRow


@dataclass(frozen=True, slots=True)
class StoredNode:
    cluster: str
    provider: Provider
    region: str
    node: Node


async def upsert_nodes(session: AsyncSession, nodes: Sequence[SeenNode]) -> None:
    """Keep the latest facts of each node (an older sample never overwrites a newer one)."""
    if not nodes:
        return
    stmt = upsert_statement(session, NodeRow)
    new = stmt.excluded
    newer = new.seen_at >= NodeRow.seen_at
    stmt = stmt.on_conflict_do_update(
        index_elements=[NodeRow.cluster, NodeRow.name],
        set_={
            column: case((newer, new[column]), else_=NodeRow.__table__.c[column])
            for column in ("provider", "region", "node", "seen_at")
        },
    )
    rows = [
        {
            "cluster": n.cluster,
            "name": n.node.name,
            "provider": n.provider.value,
            "region": n.region,
            "node": n.node.model_dump(mode="json"),
            "seen_at": datetime.fromtimestamp(n.seen_at_s, tz=UTC),
        }
        for n in nodes
    ]
    await session.execute(stmt, rows)


async def get_nodes(
    session: AsyncSession, cluster: str, names: Collection[str]
) -> dict[str, StoredNode]:
    """The stored nodes of ``cluster`` named in ``names``."""
    if not names:
        return {}
    stmt = select(NodeRow).where(NodeRow.cluster == cluster, NodeRow.name.in_(sorted(names)))
    result = await session.execute(stmt)
    return {
        row.name: StoredNode(
            row.cluster, Provider(row.provider), row.region, Node.model_validate(row.node)
        )
        for row in result.scalars().all()
    }
