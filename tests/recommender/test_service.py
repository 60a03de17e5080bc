"""Recording usage through the inbox: each event counted once, whatever the redelivery."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_recommender import repository, service
from kubeopt_recommender.analyzers.history import HistoryAnalyzer
from tests.recommender.builders import T0, WINDOW, node, sample, usage_event

NOW = datetime(2026, 2, 2, tzinfo=UTC)


async def test_processed_and_repeated_events_are_skipped(
    db_session: AsyncSession, unique: str
) -> None:
    first = usage_event(cluster=unique, nodes=(node("n1", sample(pod="a"), sample(pod="b")),))
    second = usage_event(cluster=unique, window_start=T0 + WINDOW)

    recorded = await service.record_usage(db_session, [first, first], now=NOW)
    assert (recorded.events, recorded.skipped_events, recorded.containers) == (1, 1, 1)
    recorded = await service.record_usage(db_session, [first, second], now=NOW)
    assert (recorded.events, recorded.skipped_events, recorded.containers) == (1, 1, 1)

    [h] = await repository.list_observations(db_session, limit=5, cluster=unique)
    assert (h.samples, h.windows_observed) == (3, 2)
    assert await repository.processed_event_ids(db_session, {first.event_id, second.event_id}) == {
        first.event_id,
        second.event_id,
    }


async def test_observations_carry_history_facts_and_findings(
    db_session: AsyncSession, unique: str
) -> None:
    events = [usage_event(cluster=unique, window_start=T0 + i * WINDOW) for i in range(12)]
    await service.record_usage(db_session, events, now=NOW)
    [item] = await service.observations(
        db_session,
        [HistoryAnalyzer(min_history_hours=1.0)],
        min_history_hours=2.0,
        limit=5,
        cluster=unique,
    )
    assert item.facts.history_hours == 1.0
    assert item.facts.enough_history is False
    assert item.findings == {
        "history": {
            "history_hours": 1.0,
            "enough_history": True,
            "min_history_hours": 1.0,
            "windows_observed": 12,
        }
    }
