"""The lifecycle through the API: decisions with actor and comment, 409s, history, savings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.runtime import ServiceRuntime
from tests.recommender.fake_costing import FakeCosting
from tests.recommender.test_runs import call, recommendations, run_to_end, seed


async def _open_ids(runtime: ServiceRuntime, cluster: str) -> dict[str, str]:
    found = await recommendations(runtime, cluster)
    return {f"{w}:{k}": r["id"] for (w, k), r in found.items()}


async def test_decisions_are_recorded_and_illegal_ones_answer_409(
    lab_recommender: ServiceRuntime,
    pg_sessions: async_sessionmaker[AsyncSession],
    costing: FakeCosting,
    unique: str,
) -> None:
    cluster = f"life-{unique}"
    await seed(pg_sessions, cluster)
    await run_to_end(lab_recommender, {"cluster": cluster, "kinds": ["rightsizing", "spot"]})
    ids = await _open_ids(lab_recommender, cluster)

    approved = await call(
        lab_recommender,
        "POST",
        f"/v1/recommendations/{ids['cart:rightsizing']}/approve",
        json={"actor": "alice", "comment": "looks right"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    rejected = await call(
        lab_recommender,
        "POST",
        f"/v1/recommendations/{ids['api:spot']}/reject",
        json={"actor": "bob", "comment": "latency sensitive"},
    )
    assert rejected.json()["state"] == "rejected"

    conflict = await call(lab_recommender, "POST", f"/v1/recommendations/{ids['api:spot']}/apply")
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["title"] == "Recommendation is rejected"
    assert "is rejected; it cannot become applied" in conflict.json()["detail"]

    shown = await call(lab_recommender, "GET", f"/v1/recommendations/{ids['cart:rightsizing']}")
    history = shown.json()["history"]
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        (None, "open"),
        ("open", "approved"),
    ]
    assert (history[1]["actor"], history[1]["comment"]) == ("alice", "looks right")

    applied = await call(
        lab_recommender,
        "POST",
        f"/v1/recommendations/{ids['cart:rightsizing']}/apply",
        json={"actor": "alice"},
    )
    body = applied.json()
    assert body["state"] == "applied"
    assert body["verify_after"] is not None
    assert body["applied_at"] is not None

    snoozed = await call(
        lab_recommender, "POST", f"/v1/recommendations/{ids['cart:spot']}/snooze", json={"days": 2}
    )
    assert snoozed.json()["state"] == "snoozed"
    assert snoozed.json()["snoozed_until"] is not None

    savings = (
        await call(lab_recommender, "GET", "/v1/savings", params={"cluster": cluster})
    ).json()
    assert float(savings["estimated_applied"]) == float(body["monthly_savings"])
    assert float(savings["estimated_pending"]) > 0
    assert savings["realized_count"] == 0
    states = {(s["kind"], s["state"]) for s in savings["by_kind"]}
    assert ("spot", "rejected") in states


async def test_rejection_is_respected_by_a_rerun_and_lists_filter_and_sort(
    lab_recommender: ServiceRuntime,
    pg_sessions: async_sessionmaker[AsyncSession],
    costing: FakeCosting,
    unique: str,
) -> None:
    cluster = f"rerun-{unique}"
    await seed(pg_sessions, cluster)
    await run_to_end(lab_recommender, {"cluster": cluster, "kinds": ["rightsizing"]})
    ids = await _open_ids(lab_recommender, cluster)
    await call(lab_recommender, "POST", f"/v1/recommendations/{ids['cart:rightsizing']}/reject")
    again = await run_to_end(lab_recommender, {"cluster": cluster, "kinds": ["rightsizing"]})
    assert again["stats"]["outcomes"]["rejected_recently"] == 1

    listed = await call(
        lab_recommender,
        "GET",
        "/v1/recommendations",
        params={"cluster": cluster, "state": "open", "sort": "savings", "order": "desc"},
    )
    items = listed.json()["items"]
    assert listed.json()["total"] == len(items) == len(ids) - 1
    savings = [float(i["monthly_savings"]) for i in items]
    assert savings == sorted(savings, reverse=True)
    by_confidence = await call(
        lab_recommender,
        "GET",
        "/v1/recommendations",
        params={"cluster": cluster, "sort": "confidence", "order": "asc", "limit": 1},
    )
    assert by_confidence.json()["total"] == len(ids)
    assert len(by_confidence.json()["items"]) == 1
    missing = await call(lab_recommender, "POST", "/v1/recommendations/rec-nothere/approve")
    assert missing.status_code == 404
    assert "rec-nothere" in missing.json()["detail"]
