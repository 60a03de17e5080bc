"""Applied detection from usage, verification after the window, snooze expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import Provider, RecommendationKind, RecommendationState
from kubeopt_common.queries import NodePriceRequest
from kubeopt_recommender import service
from kubeopt_recommender.prices import PriceLookup
from kubeopt_recommender.repository import recommendations as repo
from kubeopt_recommender.service import verification
from kubeopt_recommender.service.drafts import Draft
from kubeopt_recommender.service.inventory import record_inventory
from kubeopt_recommender.service.recommendations import move, save_drafts
from kubeopt_recommender.service.verification import VerificationPolicy
from tests.builders import T0
from tests.recommender.fake_costing import FakeCosting
from tests.recommender.fleet import NODES, WINDOW_S, history, inventory, window_event

MIB = 2**20
POLICY = VerificationPolicy(
    window=timedelta(hours=1),
    match_tolerance=0.05,
    max_throttled_pct=10.0,
    min_realized_fraction=0.5,
)
RECOMMENDED = {
    "cpu_request_millicores": 240,
    "memory_request_bytes": 480 * MIB,
    "cpu_limit_millicores": None,
    "memory_limit_bytes": 600 * MIB,
}
CURRENT = {
    "cpu_request_millicores": 1000,
    "memory_request_bytes": 2048 * MIB,
    "cpu_limit_millicores": None,
    "memory_limit_bytes": 2048 * MIB,
}


def cart_draft(cluster: str, *, estimated: int) -> Draft:
    return Draft(
        cluster=cluster,
        namespace="shop",
        workload_kind="Deployment",
        workload="cart",
        container="app",
        kind=RecommendationKind.RIGHTSIZING,
        summary="cart",
        current=CURRENT,
        recommended=RECOMMENDED,
        details={},
        reasons=[],
        monthly_savings_nano_usd=estimated,
        co2e_grams_per_month=0.0,
        price_status="costing",
        confidence=0.8,
        confidence_source="heuristic:history",
    )


async def record(session: AsyncSession, cluster: str, minutes: range, **cart: Any) -> None:
    overrides = {"cart": {"cpu_request_millicores": 240, "memory_request_bytes": 480 * MIB, **cart}}
    events = [
        e
        for m in minutes
        if (e := window_event(cluster, T0 + timedelta(minutes=m), overrides=overrides)) is not None
    ]
    await service.record_usage(session, events, now=T0)


async def prices(cluster: str) -> PriceLookup:
    request = NodePriceRequest(
        cluster=cluster, provider=Provider.AWS, region="us-east-1", nodes=NODES
    )
    reply = await FakeCosting().answer(request)
    return PriceLookup(quotes={q.node: q for q in reply.quotes})


async def applied_cart(session: AsyncSession, cluster: str, *, estimated: int) -> str:
    await service.record_usage(session, history(cluster), now=T0)
    saved = await save_drafts(
        session,
        cluster,
        [cart_draft(cluster, estimated=estimated)],
        run_id="run-v",
        policy="balanced",
        now=T0,
        rejected_cooldown=timedelta(days=30),
    )
    [created] = saved.events
    await record(session, cluster, range(0, 10, WINDOW_S // 60))
    events = await verification.detect(session, policy=POLICY, now=T0 + timedelta(minutes=15))
    [event] = [e for e in events if e.recommendation_id == created.recommendation_id]
    assert event.state is RecommendationState.APPLIED
    return created.recommendation_id


async def test_matching_requests_mean_applied(db_session: AsyncSession, unique: str) -> None:
    rec_id = await applied_cart(db_session, f"ver-{unique}", estimated=1)
    row = await repo.get(db_session, rec_id)
    assert row is not None
    assert row.applied_at == T0 + timedelta(minutes=15)
    assert row.verify_after == T0 + timedelta(minutes=75)
    assert row.baseline is not None
    assert row.baseline["samples"] > 0
    history_rows = await repo.transitions(db_session, rec_id)
    assert history_rows[-1].actor == "kubeopt:detector"
    assert "requests now match" in history_rows[-1].comment


async def test_held_after_the_window_is_verified_with_realized_savings(
    db_session: AsyncSession, unique: str
) -> None:
    cluster = f"ver-{unique}"
    rec_id = await applied_cart(db_session, cluster, estimated=1)
    await record(db_session, cluster, range(10, 90, WINDOW_S // 60))
    now = T0 + timedelta(minutes=90)
    [item] = [
        i for i in await verification.due(db_session, now=now) if i.recommendation_id == rec_id
    ]
    event = await verification.verify(
        db_session, item, await prices(cluster), policy=POLICY, now=now
    )
    assert event is not None
    assert event.state is RecommendationState.VERIFIED
    row = await repo.get(db_session, rec_id)
    assert row is not None
    assert row.outcome is not None
    assert row.outcome["holds"] is True
    assert row.outcome["oom_kills"] == 0
    assert row.outcome["average_replicas"] == pytest.approx(3.0, rel=0.15)
    # per replica: 0.76 vCPU × 0.03 $ + 1.53 GiB × 0.004 $ per hour, 3 replicas, 730 h
    expected = (0.76 * 30_000_000 + (2048 - 480) / 1024 * 4_000_000) * 3 * 730
    assert row.realized_savings_nano_usd == pytest.approx(expected, rel=0.15)


async def test_ooms_after_applying_are_a_regression(db_session: AsyncSession, unique: str) -> None:
    cluster = f"ver-{unique}"
    rec_id = await applied_cart(db_session, cluster, estimated=10**15)
    await record(db_session, cluster, range(10, 90, WINDOW_S // 60), oom_kills=1)
    now = T0 + timedelta(minutes=90)
    [item] = [
        i for i in await verification.due(db_session, now=now) if i.recommendation_id == rec_id
    ]
    event = await verification.verify(
        db_session, item, await prices(cluster), policy=POLICY, now=now
    )
    assert event is not None
    assert event.state is RecommendationState.REGRESSED
    row = await repo.get(db_session, rec_id)
    assert row is not None
    assert row.outcome is not None
    failures = row.outcome["failures"]
    assert any("OOM kill" in f for f in failures)
    assert any("realized" in f for f in failures)
    assert row.outcome["holds"] is False


async def test_not_due_before_the_window_and_snoozes_end(
    db_session: AsyncSession, unique: str
) -> None:
    cluster = f"ver-{unique}"
    rec_id = await applied_cart(db_session, cluster, estimated=1)
    assert rec_id not in {i.recommendation_id for i in await verification.due(db_session, now=T0)}
    api = replace(cart_draft(cluster, estimated=1), workload="api")
    saved = await save_drafts(
        db_session,
        cluster,
        [api],
        run_id="run-v",
        policy="balanced",
        now=T0,
        rejected_cooldown=timedelta(days=30),
    )
    row = await repo.get(db_session, saved.events[0].recommendation_id)
    assert row is not None
    row.snoozed_until = T0 + timedelta(hours=1)
    move(db_session, row, RecommendationState.SNOOZED, actor="t", comment="", now=T0)
    events = await verification.detect(db_session, policy=POLICY, now=T0 + timedelta(hours=2))
    [reopened] = [e for e in events if e.recommendation_id == row.id]
    assert reopened.state is RecommendationState.OPEN
    assert reopened.previous_state is RecommendationState.SNOOZED


async def test_spot_is_applied_when_every_replica_runs_on_spot(
    db_session: AsyncSession, unique: str
) -> None:
    cluster = f"ver-{unique}"
    await service.record_usage(db_session, history(cluster), now=T0)
    spot = replace(
        cart_draft(cluster, estimated=5),
        kind=RecommendationKind.SPOT,
        container="",
        recommended={"capacity_type": "spot", "provider": "aws"},
    )
    saved = await save_drafts(
        db_session,
        cluster,
        [spot],
        run_id="run-v",
        policy="balanced",
        now=T0,
        rejected_cooldown=timedelta(days=30),
    )
    [created] = saved.events
    on_spot = dict.fromkeys(("cart-a", "cart-b", "cart-c"), "s1")
    late = T0 + timedelta(minutes=5)
    moved = window_event(cluster, late, pod_node=on_spot)
    assert moved is not None
    await service.record_usage(db_session, [moved], now=T0)  # the usage shows s1 is spot
    half = inventory(cluster, snapshot="s-half", taken_at=late, pod_node={"cart-a": "s1"})
    await record_inventory(db_session, [half], now=late)
    events = await verification.detect(db_session, policy=POLICY, now=late)
    assert created.recommendation_id not in {e.recommendation_id for e in events}
    full = inventory(
        cluster, snapshot="s-full", taken_at=late + timedelta(minutes=5), pod_node=on_spot
    )
    await record_inventory(db_session, [full], now=late)
    events = await verification.detect(db_session, policy=POLICY, now=late + timedelta(minutes=10))
    [applied] = [e for e in events if e.recommendation_id == created.recommendation_id]
    assert applied.state is RecommendationState.APPLIED
    history_rows = await repo.transitions(db_session, created.recommendation_id)
    assert history_rows[-1].comment == "every pod now runs on spot nodes (s1)"


async def test_a_schedule_shift_is_applied_when_the_cronjob_has_the_new_schedule(
    db_session: AsyncSession, unique: str
) -> None:
    cluster = f"ver-{unique}"
    await record_inventory(db_session, [inventory(cluster)], now=T0)
    shift = replace(
        cart_draft(cluster, estimated=0),
        kind=RecommendationKind.CARBON_SHIFT,
        container="",
        workload_kind="CronJob",
        workload="nightly",
        namespace="etl",
        current={"schedule": "0 18 * * *"},
        recommended={"schedule": "0 3 * * *"},
    )
    saved = await save_drafts(
        db_session,
        cluster,
        [shift],
        run_id="run-v",
        policy="balanced",
        now=T0,
        rejected_cooldown=timedelta(days=30),
    )
    [created] = saved.events
    early = await verification.detect(db_session, policy=POLICY, now=T0)
    assert created.recommendation_id not in {e.recommendation_id for e in early}
    later = T0 + timedelta(hours=1)
    await record_inventory(
        db_session,
        [inventory(cluster, snapshot="s-new", taken_at=later, nightly="0 3 * * *")],
        now=later,
    )
    events = await verification.detect(db_session, policy=POLICY, now=later)
    [applied] = [e for e in events if e.recommendation_id == created.recommendation_id]
    assert applied.state is RecommendationState.APPLIED
