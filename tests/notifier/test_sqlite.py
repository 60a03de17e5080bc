"""The notifier's store on SQLite (the all-in-one default): ingest, flush, claim, retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.settings import DatabaseSettings
from kubeopt_notifier import service
from kubeopt_notifier.app import MIGRATIONS, SERVICE
from kubeopt_notifier.domain import DeliveryResult, notification_from_budget
from kubeopt_notifier.domain.delivery import RetryPolicy
from kubeopt_notifier.domain.routing import RouteConfig, resolve
from kubeopt_notifier.models import DeliveryRecord, GroupRecord
from kubeopt_notifier.settings import ChannelSettings
from tests.notifier.builders import budget_event

T = datetime(2026, 5, 1, 12, tzinfo=UTC)
ROOT = resolve(RouteConfig(channels=["*"], group_by=["cluster"], group_wait=10, group_interval=60))


async def test_a_group_waits_then_flushes_once_and_retries_on_sqlite(tmp_path: Path) -> None:
    db = Database(
        DatabaseSettings(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")),
        service=SERVICE,
        migrations=MIGRATIONS,
    )
    await db.start()
    try:
        async with unit_of_work(db.sessions) as s:
            await service.seed_settings_channels(
                s, [ChannelSettings(name="ops", type="log")], now=T
            )
        notes = [notification_from_budget(budget_event(threshold_pct=p)) for p in (50, 80)]
        async with unit_of_work(db.sessions) as s:
            assert await service.ingest(s, [notes[0], notes[0], notes[1]], root=ROOT, now=T) == 3
            directory = await service.channel_directory(s)
            assert await service.flush_due(s, now=T, channels=directory) == set()  # group_wait
            assert await service.next_group_due(s) == T + timedelta(seconds=10)
        later = T + timedelta(seconds=10)
        async with unit_of_work(db.sessions) as s:
            assert await service.flush_due(s, now=later, channels=directory) == {"ops"}
            group = (await s.execute(select(GroupRecord))).scalar_one()
            assert (group.next_flush_at, group.not_before) == (None, later + timedelta(seconds=60))
        async with unit_of_work(db.sessions) as s:
            ((outbox_id, message),) = await service.claim_due(
                s, "ops", now=later, lease_s=30, limit=10
            )
            assert sorted(n.source_event_id for n in message.notifications) == sorted(
                n.source_event_id for n in notes
            )
            assert await service.claim_due(s, "ops", now=later, lease_s=30, limit=10) == []
        policy = RetryPolicy(initial_s=5, jitter=0)
        async with unit_of_work(db.sessions) as s:
            outcome = await service.record_attempt(
                s, outbox_id, DeliveryResult.retryable("HTTP 503"), policy=policy, now=later, draw=0
            )
            assert outcome.status.value == "retrying"
            assert await service.next_due(s, "ops") == later + timedelta(seconds=5)
        retry_at = later + timedelta(seconds=5)
        async with unit_of_work(db.sessions) as s:
            ((again, _),) = await service.claim_due(s, "ops", now=retry_at, lease_s=30, limit=10)
            await service.record_attempt(
                s, again, DeliveryResult.delivered(), policy=policy, now=retry_at, draw=0
            )
        async with unit_of_work(db.sessions) as s:
            rows = (await s.execute(select(DeliveryRecord))).scalars().all()
        assert sorted((r.status, r.attempts) for r in rows) == [("delivered", 2)] * 2
    finally:
        await db.stop()
