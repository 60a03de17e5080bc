"""Inventory snapshots: workload facts over parts, vanished workloads expire recommendations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import (
    RecommendationKind,
    RecommendationState,
    RecommendationUpdated,
    WorkloadKind,
)
from kubeopt_recommender.repository import recommendations as recs_repo
from kubeopt_recommender.repository.workloads import get_workloads
from kubeopt_recommender.service.drafts import Draft
from kubeopt_recommender.service.inventory import record_inventory
from kubeopt_recommender.service.recommendations import save_drafts
from tests.builders import T0, make_object_ref
from tests.recommender.fleet import inventory

NOW = datetime(2025, 1, 7, tzinfo=UTC)


def draft(cluster: str, workload: str) -> Draft:
    return Draft(
        cluster=cluster,
        namespace="shop",
        workload_kind="Deployment",
        workload=workload,
        container="app",
        kind=RecommendationKind.RIGHTSIZING,
        summary="s",
        current={},
        recommended={"cpu_request_millicores": 100, "memory_request_bytes": 2**27},
        details={},
        reasons=[],
        monthly_savings_nano_usd=5,
        co2e_grams_per_month=1.0,
        price_status="costing",
        confidence=0.7,
        confidence_source="heuristic:history",
    )


async def test_facts_come_from_the_workload_and_its_pods(
    db_session: AsyncSession, unique: str
) -> None:
    cluster = f"inv-{unique}"
    await record_inventory(db_session, [inventory(cluster)], now=NOW)
    stored = await get_workloads(db_session, cluster)
    cart = stored[("shop", "Deployment", "cart")].facts
    assert (cart.replicas, cart.pdb_min_available, cart.spec_seen) == (3, 1, True)
    assert cart.nodes == {"n1", "n2"}
    assert cart.pods == 3
    assert cart.containers["app"].cpu_request_millicores == 1000
    assert stored[("shop", "Deployment", "api")].facts.hpa_metric == "cpu"
    assert stored[("etl", "CronJob", "nightly")].facts.schedule == "0 18 * * *"


async def test_parts_merge_and_a_redelivery_is_skipped(
    db_session: AsyncSession, unique: str
) -> None:
    cluster = f"inv-{unique}"
    full = inventory(cluster, snapshot="snap-p")
    spec_part = full.model_copy(update={"parts": 2, "part": 0, "pods": ()})
    pod_part = full.model_copy(
        update={"parts": 2, "part": 1, "workloads": (), "event_id": uuid.uuid4()}
    )
    await record_inventory(db_session, [spec_part, pod_part, pod_part], now=NOW)
    cart = (await get_workloads(db_session, cluster))[("shop", "Deployment", "cart")].facts
    assert cart.spec_seen
    assert cart.pods == 3  # the repeated part is not counted twice


async def test_a_vanished_workload_expires_its_recommendations(
    db_session: AsyncSession, unique: str
) -> None:
    cluster = f"inv-{unique}"
    await record_inventory(db_session, [inventory(cluster)], now=NOW)
    saved = await save_drafts(
        db_session,
        cluster,
        [draft(cluster, "fresh"), draft(cluster, "cart")],
        run_id="run-t",
        policy="balanced",
        now=NOW,
        rejected_cooldown=timedelta(days=30),
    )
    assert saved.stats["created"] == 2
    later = inventory(
        cluster, snapshot="snap-2", taken_at=T0 + timedelta(hours=1), without=("fresh",)
    )
    events = await record_inventory(db_session, [later], now=NOW)
    [expired] = events
    assert isinstance(expired, RecommendationUpdated)
    assert expired.target.workload == "fresh"
    assert expired.state is RecommendationState.EXPIRED
    assert expired.previous_state is RecommendationState.OPEN
    assert "not in inventory snapshot snap-2" in str(expired.details["state_reason"])
    history = await recs_repo.transitions(db_session, expired.recommendation_id)
    assert (history[-1].actor, history[-1].to_state) == ("kubeopt:inventory", "expired")
    stored = await get_workloads(db_session, cluster)
    assert stored[("shop", "Deployment", "fresh")].vanished_at == NOW
    assert stored[("shop", "Deployment", "cart")].vanished_at is None


async def test_a_delta_removal_expires_at_once_and_old_snapshots_do_not_win(
    db_session: AsyncSession, unique: str
) -> None:
    cluster = f"inv-{unique}"
    await record_inventory(db_session, [inventory(cluster, taken_at=T0)], now=NOW)
    await save_drafts(
        db_session,
        cluster,
        [draft(cluster, "cart")],
        run_id="run-t",
        policy="balanced",
        now=NOW,
        rejected_cooldown=timedelta(days=30),
    )
    older = inventory(cluster, snapshot="snap-0", taken_at=T0 - timedelta(hours=1))
    older = older.model_copy(
        update={"workloads": tuple(w.model_copy(update={"replicas": 9}) for w in older.workloads)}
    )
    await record_inventory(db_session, [older], now=NOW)
    stored = await get_workloads(db_session, cluster)
    assert stored[("shop", "Deployment", "cart")].facts.replicas == 3

    delta = inventory(cluster, snapshot="d-1", taken_at=T0 + timedelta(minutes=5)).model_copy(
        update={
            "kind": "delta",
            "workloads": (),
            "pods": (),
            "removed": (make_object_ref(kind="Workload", namespace="shop", name="cart"),),
        }
    )
    [event] = await record_inventory(db_session, [delta], now=NOW)
    assert event.state is RecommendationState.EXPIRED
    assert event.target.workload_kind is WorkloadKind.DEPLOYMENT
    assert "removed by inventory delta d-1" in str(event.details["state_reason"])
