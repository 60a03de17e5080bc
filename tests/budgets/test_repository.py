"""Spend upserts and period sums on real PostgreSQL, and once on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets import repository, service
from kubeopt_budgets.app import MIGRATIONS, SERVICE
from kubeopt_budgets.domain import Period, SpendTotal, reduce_totals
from kubeopt_budgets.schemas import BudgetIn
from kubeopt_common.db.migrations import upgrade_to_head
from kubeopt_common.db.session import create_engine, sessionmaker, unit_of_work
from kubeopt_common.settings import DatabaseSettings
from tests.budgets.builders import T0, WINDOW, spend_event, spend_total

NOW = datetime(2026, 1, 6, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


async def _stored(session: AsyncSession, total: SpendTotal) -> tuple[int, int, int, object]:
    row = await repository.get_spend_total(
        session, cluster=total.cluster, namespace=total.namespace, window_start=total.window_start
    )
    assert row is not None
    await session.refresh(row)
    return (row.cost_nano_usd, row.cpu_cost_nano_usd, row.memory_cost_nano_usd, row.last_event_id)


async def test_upsert_inserts_then_keeps_the_greater_total(
    db_session: AsyncSession, unique: str
) -> None:
    first = spend_total(cluster=unique, cost_nano_usd=5_000_000_000_000)
    await repository.upsert_spend_totals(db_session, [first], now=NOW)
    assert await _stored(db_session, first) == (
        5_000_000_000_000,
        2_500_000_000_000,
        2_500_000_000_000,
        first.event_id,
    )

    larger = spend_total(cluster=unique, cost_nano_usd=6_000_000_000_000, cpu_cost_nano_usd=1)
    await repository.upsert_spend_totals(db_session, [larger], now=LATER)
    assert await _stored(db_session, first) == (
        6_000_000_000_000,
        1,
        3_000_000_000_000,
        larger.event_id,
    )


async def test_a_smaller_or_repeated_total_changes_nothing(
    db_session: AsyncSession, unique: str
) -> None:
    kept = spend_total(cluster=unique, cost_nano_usd=900)
    await repository.upsert_spend_totals(db_session, [kept], now=NOW)
    smaller = spend_total(cluster=unique, cost_nano_usd=899)
    await repository.upsert_spend_totals(db_session, [smaller], now=LATER)
    await repository.upsert_spend_totals(db_session, [kept], now=LATER)
    row = await repository.get_spend_total(
        db_session, cluster=unique, namespace=kept.namespace, window_start=T0
    )
    assert row is not None
    await db_session.refresh(row)
    assert (row.cost_nano_usd, row.last_event_id, row.updated_at) == (900, kept.event_id, NOW)


async def test_sql_tie_break_matches_the_domain_in_both_orders(
    db_session: AsyncSession, unique: str
) -> None:
    a = spend_total(cluster=unique, namespace="ab", cost_nano_usd=100)
    b = spend_total(cluster=unique, namespace="ab", cost_nano_usd=100)
    expected = reduce_totals([a, b])[0].event_id
    for namespace, order in (("ab", [a, b]), ("ba", [b, a])):
        for total in order:
            moved = spend_total(
                cluster=unique, namespace=namespace, cost_nano_usd=100, event_id=total.event_id
            )
            await repository.upsert_spend_totals(db_session, [moved], now=NOW)
        row = await repository.get_spend_total(
            db_session, cluster=unique, namespace=namespace, window_start=T0
        )
        assert row is not None
        await db_session.refresh(row)
        assert row.last_event_id == expected


async def test_spend_sums_windows_starting_in_the_half_open_period(
    db_session: AsyncSession, unique: str
) -> None:
    other = f"{unique}-x"
    totals = [
        spend_total(cluster=unique, namespace="a", window_start=T0, cost_nano_usd=10**12),
        spend_total(cluster=unique, namespace="a", window_start=T0 + WINDOW, cost_nano_usd=10**12),
        spend_total(cluster=unique, namespace="a", window_start=T0 + 2 * WINDOW, cost_nano_usd=7),
        spend_total(cluster=unique, namespace="b", window_start=T0, cost_nano_usd=3),
        spend_total(cluster=other, namespace="a", window_start=T0, cost_nano_usd=11),
    ]
    await repository.upsert_spend_totals(db_session, reduce_totals(totals), now=NOW)
    period = Period(T0, T0 + 2 * WINDOW)

    rows = await repository.spend_by_namespace(db_session, period, cluster=unique)
    assert [(r.namespace, r.windows, r.cost_nano_usd) for r in rows] == [
        ("a", 2, 2 * 10**12),
        ("b", 1, 3),
    ]
    only_a = await repository.spend_by_namespace(db_session, period, namespace="a")
    assert {(r.cluster, r.cost_nano_usd) for r in only_a} >= {(unique, 2 * 10**12), (other, 11)}
    assert all(isinstance(r.cost_nano_usd, int) for r in rows)


async def test_migrations_and_repository_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'budgets.db'}"
    upgrade_to_head(script_location=MIGRATIONS, url=url, service=SERVICE)
    engine = create_engine(DatabaseSettings(url=SecretStr(url)))
    sessions = sessionmaker(engine)
    try:
        small = spend_total(cost_nano_usd=40)
        large = spend_total(cost_nano_usd=50)
        next_window = spend_total(window_start=T0 + WINDOW, cost_nano_usd=5)
        async with unit_of_work(sessions) as session:
            await repository.upsert_spend_totals(session, [large, next_window], now=NOW)
        async with unit_of_work(sessions) as session:
            await repository.upsert_spend_totals(session, [small], now=LATER)
        async with unit_of_work(sessions) as session:
            row = await repository.get_spend_total(
                session, cluster="c1", namespace="shop", window_start=T0
            )
            rows = await repository.spend_by_namespace(session, Period(T0, T0 + 3 * WINDOW))
        assert row is not None
        assert (row.cost_nano_usd, row.last_event_id, row.updated_at) == (50, large.event_id, NOW)
        assert [(r.windows, r.cost_nano_usd) for r in rows] == [(2, 55)]
    finally:
        await engine.dispose()


async def test_evaluation_and_relay_on_sqlite(tmp_path: Path) -> None:
    """The all-in-one store: a crossing is inserted once, then found by the relay."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}"
    upgrade_to_head(script_location=MIGRATIONS, url=url, service=SERVICE)
    engine = create_engine(DatabaseSettings(url=SecretStr(url)))
    sessions = sessionmaker(engine)
    now = datetime.now(UTC)
    budget = BudgetIn.model_validate(
        {
            "name": "sqlite",
            "scope": {"namespaces": ["shop"]},
            "period": {"kind": "daily"},
            "amount": "0.000001",
            "thresholds": [{"pct": 50}, {"pct": 100}],
        }
    ).to_spec(budget_id="b-sqlite", created_at=now - timedelta(days=1))
    event = spend_event(
        window_start=now.replace(minute=0, second=0, microsecond=0), cost_nano_usd=700
    )
    try:
        async with unit_of_work(sessions) as session:
            await service.create_budget(session, budget, now=now)
        for expected in ([50], []):
            async with unit_of_work(sessions) as session:
                totals = await service.record_spend(session, [event], now=now)
                crossings = await service.evaluate_spend(session, totals, now=now)
            assert [c.threshold_pct for c in crossings] == expected
        async with unit_of_work(sessions) as session:
            pending = await service.unpublished(session, crossed_before=now + timedelta(seconds=1))
            assert [c.threshold_pct for c in pending] == [50]
            await service.mark_published(session, [c.event_id for c in pending], now=now)
        async with unit_of_work(sessions) as session:
            assert await service.unpublished(session, crossed_before=now + timedelta(hours=1)) == []
    finally:
        await engine.dispose()
