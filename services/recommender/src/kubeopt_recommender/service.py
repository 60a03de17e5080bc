"""Orchestration of the recommender. Never commits: the caller owns the unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import UsageSampled
from kubeopt_recommender import repository
from kubeopt_recommender.analyzers.base import Analyzer, Findings
from kubeopt_recommender.domain import (
    ContainerHistory,
    HistoryFacts,
    aggregate_usage,
    history_facts,
)


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
    session: AsyncSession, events: Sequence[UsageSampled], *, now: datetime
) -> UsageRecorded:
    """Fold the events not yet processed into the container observations.

    Events already in the inbox (redeliveries) and repeats inside ``events`` are skipped; the
    rest are recorded in the inbox *before* the upsert, in the same transaction.
    """
    already = await repository.processed_event_ids(session, {e.event_id for e in events})
    fresh: dict[uuid.UUID, UsageSampled] = {}
    for event in events:
        if event.event_id not in already:
            fresh.setdefault(event.event_id, event)
    await repository.mark_processed(session, [e.event_id for e in fresh.values()], now=now)
    batches = aggregate_usage(fresh.values())
    await repository.upsert_observations(session, batches, now=now)
    return UsageRecorded(
        events=len(fresh), skipped_events=len(events) - len(fresh), containers=len(batches)
    )


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
