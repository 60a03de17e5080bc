"""The delivery log on real PostgreSQL (and once on SQLite): one row per event and channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.migrations import upgrade_to_head
from kubeopt_common.db.session import create_engine, sessionmaker, unit_of_work
from kubeopt_common.settings import DatabaseSettings
from kubeopt_notifier import repository
from kubeopt_notifier.app import MIGRATIONS, SERVICE
from kubeopt_notifier.domain import (
    DeliveryAttempt,
    DeliveryResult,
    DeliveryStatus,
    Notification,
    notification_from_anomaly,
    notification_from_budget,
)
from tests.notifier.builders import anomaly_event, budget_event

# Later than anything the handler tests write, so "newest first" sees these rows first.
NOW = datetime(2100, 1, 1, tzinfo=UTC)


def attempt(
    notification: Notification, result: DeliveryResult, channel: str = "ops"
) -> DeliveryAttempt:
    return DeliveryAttempt(notification, channel, "log", result)


async def test_attempts_are_counted_on_one_row_until_delivered(db_session: AsyncSession) -> None:
    n = notification_from_budget(budget_event())
    retry = DeliveryResult.retryable("HTTP 429", retry_after_s=30)
    await repository.record_attempts(db_session, [attempt(n, retry)], now=NOW)
    await repository.record_attempts(
        db_session, [attempt(n, DeliveryResult.delivered())], now=NOW + timedelta(seconds=30)
    )
    late = DeliveryResult.failed("HTTP 500")
    await repository.record_attempts(db_session, [attempt(n, late)], now=NOW + timedelta(hours=1))

    [row] = await repository.list_deliveries(db_session, limit=10, event_id=n.source_event_id)
    await db_session.refresh(row)
    assert (row.status, row.attempts, row.error, row.retry_after_s) == ("delivered", 2, "", None)
    assert row.first_attempt_at == NOW
    assert row.last_attempt_at == row.delivered_at == NOW + timedelta(seconds=30)
    assert (row.channel, row.kind, row.severity, row.title) == ("ops", "budget", "warning", n.title)


async def test_delivered_pairs_are_only_the_delivered_ones(db_session: AsyncSession) -> None:
    a = notification_from_budget(budget_event())
    b = notification_from_anomaly(anomaly_event())
    await repository.record_attempts(
        db_session,
        [
            attempt(a, DeliveryResult.delivered(), "ops"),
            attempt(a, DeliveryResult.failed("HTTP 403"), "slack"),
            attempt(b, DeliveryResult.retryable("timeout"), "ops"),
        ],
        now=NOW,
    )
    pairs = await repository.delivered_pairs(db_session, {a.source_event_id, b.source_event_id})
    assert pairs == {(a.source_event_id, "ops")}
    assert await repository.delivered_pairs(db_session, set()) == set()


async def test_log_is_newest_first_and_filters_by_status(db_session: AsyncSession) -> None:
    notifications = [notification_from_anomaly(anomaly_event()) for _ in range(3)]
    for minutes, n in enumerate(notifications):
        result = DeliveryResult.delivered() if minutes != 1 else DeliveryResult.failed("HTTP 400")
        await repository.record_attempts(
            db_session, [attempt(n, result)], now=NOW + timedelta(minutes=minutes)
        )
    newest = await repository.list_deliveries(db_session, limit=2)
    assert [r.event_id for r in newest] == [
        notifications[2].source_event_id,
        notifications[1].source_event_id,
    ]
    failed = await repository.list_deliveries(db_session, limit=1, status=DeliveryStatus.FAILED)
    assert [(r.event_id, r.error) for r in failed] == [
        (notifications[1].source_event_id, "HTTP 400")
    ]


async def test_migrations_and_delivery_log_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'notifier.db'}"
    upgrade_to_head(script_location=MIGRATIONS, url=url, service=SERVICE)
    engine = create_engine(DatabaseSettings(url=SecretStr(url)))
    sessions = sessionmaker(engine)
    n = notification_from_budget(budget_event())
    try:
        async with unit_of_work(sessions) as session:
            await repository.record_attempts(
                session,
                [
                    attempt(n, DeliveryResult.retryable("x")),
                    attempt(n, DeliveryResult.delivered(), "b"),
                ],
                now=NOW,
            )
        async with unit_of_work(sessions) as session:
            await repository.record_attempts(
                session, [attempt(n, DeliveryResult.delivered())], now=NOW
            )
        async with unit_of_work(sessions) as session:
            rows = await repository.list_deliveries(session, limit=10)
            pairs = await repository.delivered_pairs(session, {n.source_event_id})
        assert sorted((r.channel, r.status, r.attempts) for r in rows) == [
            ("b", "delivered", 1),
            ("ops", "delivered", 2),
        ]
        assert all(r.id > 0 for r in rows)
        assert pairs == {(n.source_event_id, "ops"), (n.source_event_id, "b")}
    finally:
        await engine.dispose()
