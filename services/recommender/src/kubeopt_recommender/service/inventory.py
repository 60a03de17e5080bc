"""Inventory snapshots → workload facts; vanished workloads expire their recommendations.

A full snapshot arrives in parts. Each part updates the workloads and pods it carries; once every
part of a snapshot is in, the workloads it no longer contains (not seen since it was taken) are
*vanished*, and their live recommendations become ``expired`` with the reason. A delta snapshot's
``removed`` workloads vanish at once. Redelivered parts are skipped through the inbox.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import (
    InventorySnapshotted,
    Pod,
    RecommendationState,
    RecommendationUpdated,
)
from kubeopt_recommender.domain.workloads import WorkloadFacts, merge_pods, with_spec
from kubeopt_recommender.repository import mark_processed, processed_event_ids
from kubeopt_recommender.repository import recommendations as recs_repo
from kubeopt_recommender.repository import workloads as repo
from kubeopt_recommender.repository.workloads import WorkloadKey, WorkloadWrite
from kubeopt_recommender.service.recommendations import move

ACTOR_INVENTORY = "kubeopt:inventory"


async def record_inventory(
    session: AsyncSession, events: Sequence[InventorySnapshotted], *, now: datetime
) -> list[RecommendationUpdated]:
    """Fold snapshot parts into workload facts; returns the events of expired recommendations."""
    already = await processed_event_ids(session, {e.event_id for e in events})
    fresh = {e.event_id: e for e in events if e.event_id not in already}
    await mark_processed(session, list(fresh), now=now)
    out: list[RecommendationUpdated] = []
    for event in sorted(fresh.values(), key=lambda e: (e.taken_at, e.part)):
        await _fold_part(session, event)
        out += await _vanish(session, event, now=now)
    return out


async def _fold_part(session: AsyncSession, event: InventorySnapshotted) -> None:
    specs = {(w.namespace, w.kind.value, w.name): w for w in event.workloads}
    pods: dict[WorkloadKey, list[Pod]] = defaultdict(list)
    for pod in event.pods:
        pods[(pod.namespace, pod.workload_kind.value, pod.workload)].append(pod)
    keys = sorted(set(specs) | set(pods))
    stored = await repo.get_workloads(session, event.cluster, keys, lock=True)
    writes = []
    for key in keys:
        known = stored.get(key)
        if known is not None and known.last_seen > event.taken_at:
            continue  # an older snapshot must not overwrite newer facts
        facts = known.facts if known is not None else WorkloadFacts(kind=key[1])
        spec_snapshot = known.spec_snapshot if known is not None else ""
        pods_snapshot = known.pods_snapshot if known is not None else ""
        if key in specs:
            facts, spec_snapshot = with_spec(facts, specs[key]), event.snapshot_id
        if key in pods:
            renew = pods_snapshot != event.snapshot_id
            facts = merge_pods(facts, pods[key], fresh=renew)
            pods_snapshot = event.snapshot_id
        writes.append(WorkloadWrite(key, facts, spec_snapshot, pods_snapshot, event.taken_at))
    await repo.save_workloads(session, event.cluster, writes, existing=set(stored))


async def _vanish(
    session: AsyncSession, event: InventorySnapshotted, *, now: datetime
) -> list[RecommendationUpdated]:
    cluster = event.cluster
    if event.kind == "delta":
        removed = [(r.namespace, r.name) for r in event.removed if r.kind == "Workload"]
        stored = await repo.get_workloads(session, cluster)
        keys = [k for k in stored if (k[0], k[2]) in removed]
        reason = f"removed by inventory delta {event.snapshot_id}"
        await repo.mark_removed(session, cluster, keys, now=now, reason=reason)
        return await expire_for_workloads(session, cluster, keys, reason=reason, now=now)
    received = await repo.record_part(
        session,
        cluster,
        snapshot_id=event.snapshot_id,
        part=event.part,
        parts=event.parts,
        taken_at=event.taken_at,
    )
    if received < event.parts:
        return []
    vanished = await repo.mark_vanished(
        session, cluster, snapshot_id=event.snapshot_id, taken_at=event.taken_at, now=now
    )
    reason = f"workload vanished: not in inventory snapshot {event.snapshot_id}"
    return await expire_for_workloads(session, cluster, vanished, reason=reason, now=now)


async def expire_for_workloads(
    session: AsyncSession,
    cluster: str,
    workloads: Sequence[WorkloadKey],
    *,
    reason: str,
    now: datetime,
) -> list[RecommendationUpdated]:
    """Expire every live recommendation of ``workloads``, recording ``reason``."""
    events: list[RecommendationUpdated] = []
    for row in await recs_repo.live_for_workloads(session, cluster, workloads):
        row.state_reason = reason
        events.append(
            move(
                session,
                row,
                RecommendationState.EXPIRED,
                actor=ACTOR_INVENTORY,
                comment=reason,
                now=now,
            )
        )
    return events
