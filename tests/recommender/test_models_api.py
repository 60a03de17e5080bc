"""Confidence models through the API: train, list, evaluate, activate, and runs that use them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.runtime import ServiceRuntime
from tests.recommender.fake_costing import FakeCosting
from tests.recommender.test_confidence import rows
from tests.recommender.test_runs import call, recommendations, run_to_end, seed


def payload(n: int, seed_: int) -> list[dict[str, object]]:
    return [
        {"features": dict(r.features), "label": r.label, "source": "api-test"}
        for r in rows(n, seed=seed_)
    ]


@pytest.fixture
async def fallback_after(lab_recommender: ServiceRuntime) -> AsyncIterator[ServiceRuntime]:
    """Leaves no model active afterwards (other tests expect the history fallback)."""
    yield lab_recommender
    response = await call(lab_recommender, "POST", "/v1/models/deactivate")
    assert response.status_code == 204


async def test_train_list_evaluate_and_score_runs(
    fallback_after: ServiceRuntime,
    pg_sessions: async_sessionmaker[AsyncSession],
    costing: FakeCosting,
    unique: str,
) -> None:
    runtime = fallback_after
    trained = await call(runtime, "POST", "/v1/models", json={"rows": payload(800, 1)})
    assert trained.status_code == 201, trained.text
    model = trained.json()
    assert model["active"] is True
    assert model["algorithm"] == "xgboost"
    assert model["metrics"]["auc"] > model["metrics"]["baseline_auc"]
    assert model["training"]["api-test"] == 800
    version = model["version"]

    listed = (await call(runtime, "GET", "/v1/models")).json()
    assert [m["version"] for m in listed["models"] if m["active"]] == [version]
    assert listed["fallback"].startswith("heuristic:history")

    evaluated = await call(
        runtime,
        "POST",
        "/v1/models/evaluate",
        json={"rows": payload(300, 2), "include_recorded": False},
    )
    assert evaluated.status_code == 200
    assert evaluated.json()["scorer"] == f"model:v{version}"
    assert evaluated.json()["metrics"]["n_test"] == 300

    cluster = f"model-{unique}"
    await seed(pg_sessions, cluster)
    await run_to_end(runtime, {"cluster": cluster, "kinds": ["rightsizing"]})
    cart = (await recommendations(runtime, cluster))[("cart", "rightsizing")]
    assert cart["confidence_source"] == f"model:v{version}"
    assert set(cart["details"]) >= {"profile", "average_replicas"}

    assert (await call(runtime, "POST", "/v1/models/deactivate")).status_code == 204
    fallback = await call(
        runtime,
        "POST",
        "/v1/models/evaluate",
        json={"rows": payload(100, 3), "include_recorded": False},
    )
    assert fallback.json()["scorer"] == "heuristic:history"
    again = await call(runtime, "POST", f"/v1/models/{version}/activate")
    assert again.json()["active"] is True


async def test_bad_training_requests(lab_recommender: ServiceRuntime) -> None:
    few = await call(
        lab_recommender,
        "POST",
        "/v1/models",
        json={"rows": payload(10, 1), "include_recorded": False},
    )
    assert few.status_code == 400
    assert "at least 50 rows" in few.json()["detail"]
    label = await call(
        lab_recommender, "POST", "/v1/models", json={"rows": [{"features": {}, "label": 2}]}
    )
    assert label.status_code == 422
    missing = await call(lab_recommender, "POST", "/v1/models/999999/activate")
    assert missing.status_code == 404
    nothing = await call(
        lab_recommender, "POST", "/v1/models/evaluate", json={"rows": [], "include_recorded": False}
    )
    assert nothing.status_code == 400
