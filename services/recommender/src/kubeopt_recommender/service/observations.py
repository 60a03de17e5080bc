"""Usage events → observations, usage profiles and nodes; observations with analyzer findings.

Service code never commits: the caller owns the unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import UsageSampled
from kubeopt_recommender import repository
from kubeopt_recommender.analyzers.base import Analyzer, Findings
from kubeopt_recommender.domain import (
    ContainerHistory,
    ContainerKey,
    HistoryFacts,
    aggregate_usage,
    history_facts,
)
from kubeopt_recommender.domain.samples import collect_samples
from kubeopt_recommender.domain.usage_profile import ProfileParams, UsageProfile
from kubeopt_recommender.repository.nodes import upsert_nodes
from kubeopt_recommender.repository.profiles import load_profiles, save_profiles


@dataclass(frozen=True, slots=True)
class UsageRecorded:
    events: int
    skipped_events: int
    containers: int


@dataclass(frozen=True, slots=True)
class AnalyzedObservation:
    history: ContainerHistory
    facts: HistoryFacts
    findings: dict[str, Findings]


async def record_usage(
    session: AsyncSession,
    events: Sequence[UsageSampled],
    *,
    now: datetime,
    params: ProfileParams | None = None,
) -> UsageRecorded:
    """Fold the events not yet processed into the container observations, their usage profiles
    (``params``: how profiles are built) and the nodes they ran on.

    Events already in the inbox (redeliveries) and repeats inside ``events`` are skipped; the
    rest are recorded in the inbox *before* the upserts, in the same transaction.
    """
    already = await repository.processed_event_ids(session, {e.event_id for e in events})
    fresh: dict[uuid.UUID, UsageSampled] = {}
    for event in events:
        if event.event_id not in already:
            fresh.setdefault(event.event_id, event)
    await repository.mark_processed(session, [e.event_id for e in fresh.values()], now=now)
    batches = aggregate_usage(fresh.values())
    await repository.upsert_observations(session, batches, now=now)
    await _fold_profiles(session, fresh.values(), params or ProfileParams(), now=now)
    return UsageRecorded(
        events=len(fresh), skipped_events=len(events) - len(fresh), containers=len(batches)
    )


async def _fold_profiles(
    session: AsyncSession, events: Iterable[UsageSampled], params: ProfileParams, *, now: datetime
) -> None:
    series, nodes = collect_samples(events)
    if not series:
        return
    stored = await load_profiles(session, [s.key for s in series], lock=True)
    folded: dict[ContainerKey, UsageProfile] = {}
    for item in series:
        profile = stored.get(item.key) or UsageProfile.empty(params)
        profile.fold(item, params)
        folded[item.key] = profile
    await save_profiles(session, folded, existing=set(stored), now=now)
    await upsert_nodes(session, nodes)


async def observations(
    session: AsyncSession,
    analyzers: Sequence[Analyzer],
    *,
    min_history_hours: float,
    limit: int,
    offset: int = 0,
    cluster: str | None = None,
    namespace: str | None = None,
) -> list[AnalyzedObservation]:
    """Stored observations with their history facts and every analyzer's findings."""
    histories = await repository.list_observations(
        session, limit=limit, offset=offset, cluster=cluster, namespace=namespace
    )
    return [
        AnalyzedObservation(
            history=h,
            facts=history_facts(h, min_history_hours=min_history_hours),
            findings={a.name: a.analyze(h) for a in analyzers},
        )
        for h in histories
    ]


async def prune_inbox(session: AsyncSession, *, before: datetime) -> int:
    """Forget processed-event ids older than ``before``."""
    return await repository.prune_processed(session, before=before)
