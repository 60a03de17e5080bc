"""Observation upserts and the inbox on real PostgreSQL, and once on SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.migrations import upgrade_to_head
from kubeopt_common.db.session import create_engine, sessionmaker, unit_of_work
from kubeopt_common.settings import DatabaseSettings
from kubeopt_recommender import repository
from kubeopt_recommender.app import MIGRATIONS, SERVICE
from kubeopt_recommender.domain import ContainerBatch, ContainerHistory, aggregate_usage
from tests.recommender.builders import T0, WINDOW, node, sample, usage_event

NOW = datetime(2026, 2, 2, tzinfo=UTC)


def _batch(cluster: str, *starts_and_samples: tuple[datetime, dict[str, Any]]) -> ContainerBatch:
    """One container's batch from events at the given window starts with sample overrides."""
    events = [
        usage_event(
            cluster=cluster,
            window_start=start,
            nodes=(node("n1", sample(**overrides)),),
        )
        for start, overrides in starts_and_samples
    ]
    [batch] = aggregate_usage(events)
    return batch


async def _one(session: AsyncSession, cluster: str) -> ContainerHistory:
    [history] = await repository.list_observations(session, limit=10, cluster=cluster)
    return history


async def test_batches_merge_into_one_row(db_session: AsyncSession, unique: str) -> None:
    first = _batch(unique, (T0, {"cpu_peak_millicores": 800, "oom_kills": 1}), (T0 + WINDOW, {}))
    await repository.upsert_observations(db_session, [first], now=NOW)
    second = _batch(
        unique,
        (T0 + 2 * WINDOW, {"cpu_request_millicores": 250, "memory_limit_bytes": 2**30}),
        (
            T0 + 3 * WINDOW,
            {"cpu_request_millicores": 250, "memory_limit_bytes": 2**30, "restarts": 3},
        ),
    )
    await repository.upsert_observations(db_session, [second], now=NOW)

    h = await _one(db_session, unique)
    assert (h.first_seen, h.last_seen) == (T0, T0 + 4 * WINDOW)
    assert (h.windows_observed, h.samples) == (4, 4)
    assert (h.cpu_peak_millicores, h.oom_kills, h.restarts) == (800, 1, 3)
    assert (h.cpu_request_millicores, h.memory_limit_bytes) == (250, 2**30)


async def test_late_older_windows_extend_history_without_overwriting_latest(
    db_session: AsyncSession, unique: str
) -> None:
    newest = _batch(unique, (T0 + 10 * WINDOW, {"cpu_request_millicores": 300}))
    await repository.upsert_observations(db_session, [newest], now=NOW)
    late = _batch(unique, (T0, {"cpu_request_millicores": 900, "memory_peak_bytes": 2**32}))
    await repository.upsert_observations(db_session, [late], now=NOW)

    h = await _one(db_session, unique)
    assert (h.first_seen, h.last_seen) == (T0, T0 + 11 * WINDOW)
    assert h.cpu_request_millicores == 300
    assert h.memory_peak_bytes == 2**32
    assert h.samples == 2
    # The late window is not counted: the count lags the truth, never exceeds it.
    assert h.windows_observed == 1


async def test_a_window_split_over_batches_is_counted_once(
    db_session: AsyncSession, unique: str
) -> None:
    await repository.upsert_observations(db_session, [_batch(unique, (T0, {}))], now=NOW)
    await repository.upsert_observations(db_session, [_batch(unique, (T0, {}))], now=NOW)
    straddling = _batch(unique, (T0 - WINDOW, {}), (T0 + WINDOW, {}))
    await repository.upsert_observations(db_session, [straddling], now=NOW)
    h = await _one(db_session, unique)
    assert (h.windows_observed, h.samples) == (2, 4)
    assert h.first_seen == T0 - WINDOW


async def test_listing_filters_orders_and_pages(db_session: AsyncSession, unique: str) -> None:
    event = usage_event(
        cluster=unique,
        nodes=(
            node(
                "n1",
                sample("b"),
                sample("a"),
                sample(pod="api-1", namespace="web", workload="api"),
            ),
        ),
    )
    await repository.upsert_observations(db_session, aggregate_usage([event]), now=NOW)
    shop = await repository.list_observations(
        db_session, limit=10, cluster=unique, namespace="shop"
    )
    assert [h.key[4] for h in shop] == ["a", "b"]
    page = await repository.list_observations(db_session, limit=1, offset=2, cluster=unique)
    assert [h.key[1] for h in page] == ["web"]


async def test_inbox_remembers_ids_and_rejects_a_second_insert(
    db_session: AsyncSession,
) -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    await repository.mark_processed(db_session, ids, now=NOW)
    assert await repository.processed_event_ids(db_session, {*ids, uuid.uuid4()}) == set(ids)
    with pytest.raises(IntegrityError):
        async with db_session.begin_nested():
            await repository.mark_processed(db_session, ids[:1], now=NOW)


async def test_inbox_pruning_deletes_only_old_entries(db_session: AsyncSession) -> None:
    old, recent = uuid.uuid4(), uuid.uuid4()
    far_past = datetime(1999, 1, 1, tzinfo=UTC)
    await repository.mark_processed(db_session, [old], now=far_past)
    await repository.mark_processed(db_session, [recent], now=NOW)
    deleted = await repository.prune_processed(db_session, before=far_past + timedelta(days=1))
    assert deleted >= 1
    assert await repository.processed_event_ids(db_session, {old, recent}) == {recent}


async def test_migrations_and_repository_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'recommender.db'}"
    upgrade_to_head(script_location=MIGRATIONS, url=url, service=SERVICE)
    engine = create_engine(DatabaseSettings(url=SecretStr(url)))
    sessions = sessionmaker(engine)
    event_id = uuid.uuid4()
    try:
        async with unit_of_work(sessions) as session:
            await repository.mark_processed(session, [event_id], now=NOW)
            await repository.upsert_observations(
                session, [_batch("c1", (T0 + WINDOW, {"cpu_request_millicores": 100}))], now=NOW
            )
        async with unit_of_work(sessions) as session:
            await repository.upsert_observations(
                session,
                [_batch("c1", (T0, {"cpu_request_millicores": 999}), (T0 + 2 * WINDOW, {}))],
                now=NOW,
            )
        async with unit_of_work(sessions) as session:
            h = await _one(session, "c1")
            seen = await repository.processed_event_ids(session, {event_id})
            pruned = await repository.prune_processed(session, before=NOW + timedelta(seconds=1))
        assert (h.first_seen, h.last_seen) == (T0, T0 + 3 * WINDOW)
        assert (h.windows_observed, h.samples, h.cpu_request_millicores) == (2, 3, 500)
        assert (seen, pruned) == ({event_id}, 1)
    finally:
        await engine.dispose()
