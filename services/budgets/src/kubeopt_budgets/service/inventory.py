"""Namespace labels from ``inventory.snapshotted``, for budgets with a label selector."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets import repository
from kubeopt_common.events import InventorySnapshotted


async def record_namespaces(session: AsyncSession, events: Sequence[InventorySnapshotted]) -> int:
    """Keep each namespace's latest labels; forget namespaces a delta removed. Returns the
    namespaces written.

    A full snapshot upserts the namespaces it carries; a namespace missing from it keeps its
    last labels (it has no new spend to evaluate anyway).
    """
    written = 0
    for event in sorted(events, key=lambda e: e.taken_at):
        rows = [(event.cluster, ns.name, ns.labels) for ns in event.namespaces]
        await repository.upsert_labels(session, rows, taken_at=event.taken_at)
        removed = {(event.cluster, r.name) for r in event.removed if r.kind == "Namespace"}
        await repository.remove_labels(session, removed)
        written += len(rows)
    return written
