"""The notifier HTTP API through ASGI: auth, channels, the delivery log, problems."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeopt_common.db.session import unit_of_work
from kubeopt_common.runtime import ServiceRuntime
from kubeopt_notifier import repository
from kubeopt_notifier.app import build
from kubeopt_notifier.domain import DeliveryAttempt, DeliveryResult, notification_from_budget
from kubeopt_notifier.settings import ChannelSettings
from tests.notifier.builders import RecordingChannelType, budget_event
from tests.notifier.conftest import API_TOKEN, channel_types, make_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
WEBHOOK_URL = "https://hooks.example.com/services/T000/B000/XXXX"


@pytest.fixture
async def client(
    notifier_pg_url: str, recording: RecordingChannelType
) -> AsyncIterator[httpx.AsyncClient]:
    """The API of a notifier whose database is started (no bus)."""
    channels = [
        ChannelSettings(name="log", type="log", params={"level": "debug"}),
        ChannelSettings(name="team", type="recording", enabled=False, params={"url": WEBHOOK_URL}),
    ]
    settings = make_settings(
        nats_url="nats://127.0.0.1:1", db_url=notifier_pg_url, channels=channels
    )
    runtime: ServiceRuntime = build(settings, channel_types=channel_types(recording))
    for hook in runtime.start_hooks:
        await hook()
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as c:
        yield c
    for hook in reversed(runtime.stop_hooks):
        await hook()


@pytest.mark.parametrize("path", ["/v1/channels", "/v1/deliveries"])
async def test_routes_require_a_bearer_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Unauthorized"


async def test_channels_lists_configuration_without_param_values(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/channels", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {
        "channels": [
            {"name": "log", "type": "log", "enabled": True, "param_names": ["level"]},
            {"name": "team", "type": "recording", "enabled": False, "param_names": ["url"]},
        ],
        "installed_types": ["log", "recording"],
    }
    assert "hooks.example.com" not in response.text


async def test_deliveries_newest_first_with_filters(
    client: httpx.AsyncClient, pg_sessions: async_sessionmaker[AsyncSession]
) -> None:
    n = notification_from_budget(budget_event())
    t0 = datetime(2001, 1, 1, tzinfo=UTC)
    async with unit_of_work(pg_sessions) as session:
        for minutes, (channel, result) in enumerate(
            [
                ("a", DeliveryResult.delivered()),
                ("b", DeliveryResult.failed("HTTP 404: channel_not_found")),
                ("c", DeliveryResult.retryable("HTTP 429", retry_after_s=12.5)),
            ]
        ):
            await repository.record_attempts(
                session,
                [DeliveryAttempt(n, channel, "recording", result)],
                now=t0 + timedelta(minutes=minutes),
            )
    params = {"event_id": str(n.source_event_id)}

    everything = (await client.get("/v1/deliveries", params=params, headers=AUTH)).json()
    assert [d["channel"] for d in everything["deliveries"]] == ["c", "b", "a"]
    newest = everything["deliveries"][0]
    assert (newest["status"], newest["retry_after_s"], newest["attempts"]) == ("retryable", 12.5, 1)
    assert newest["delivered_at"] is None
    assert newest["last_attempt_at"] == "2001-01-01T00:02:00Z"

    limited = await client.get("/v1/deliveries", params={**params, "limit": 1}, headers=AUTH)
    assert [d["channel"] for d in limited.json()["deliveries"]] == ["c"]
    failed = await client.get("/v1/deliveries", params={**params, "status": "failed"}, headers=AUTH)
    assert [(d["channel"], d["error"]) for d in failed.json()["deliveries"]] == [
        ("b", "HTTP 404: channel_not_found")
    ]


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"status": "lost"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"event_id": "not-a-uuid"}, "event_id"),
    ],
)
async def test_bad_query_parameters_are_problems_naming_them(
    client: httpx.AsyncClient, params: dict[str, str], bad: str
) -> None:
    response = await client.get("/v1/deliveries", params=params, headers=AUTH)
    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid-params"]] == [bad]


async def test_openapi_documents_both_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["paths"]["/v1/channels"]["get"]["summary"].startswith("Configured channels")
    deliveries = spec["paths"]["/v1/deliveries"]["get"]
    assert {p["name"] for p in deliveries["parameters"]} == {"limit", "status", "event_id"}
    assert "401" in deliveries["responses"]
