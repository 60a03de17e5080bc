"""The notifier HTTP API through ASGI: channel CRUD validated at creation, test sends,
silences, the delivery log, the routing tree, problems naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from kubeopt_common.runtime import ServiceRuntime
from kubeopt_notifier.app import build
from kubeopt_notifier.settings import ChannelSettings
from tests.notifier.builders import RecordingChannelType
from tests.notifier.conftest import API_TOKEN, channel_types, make_settings
from tests.notifier.receiver import Reply, serving

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(
    notifier_pg_url: str, recording: RecordingChannelType, unique: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The API of a notifier whose database is started (no bus)."""
    channels = [ChannelSettings(name=f"cfg-{unique}", type="log", params={"level": "debug"})]
    settings = make_settings(
        nats_url="nats://127.0.0.1:1", db_url=notifier_pg_url, channels=channels
    )
    runtime: ServiceRuntime = build(settings, channel_types=channel_types(recording))
    for hook in runtime.start_hooks:
        await hook()
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://notifier", headers=AUTH
    ) as c:
        yield c
    for hook in reversed(runtime.stop_hooks):
        await hook()


@pytest.mark.parametrize("path", ["/v1/channels", "/v1/deliveries", "/v1/silences", "/v1/route"])
async def test_routes_require_a_bearer_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_webhook_channel_lifecycle_with_a_generated_secret(
    client: httpx.AsyncClient, unique: str
) -> None:
    name = f"hook-{unique}"
    async with serving() as receiver:
        created = await client.post(
            "/v1/channels", json={"name": name, "type": "webhook", "params": {"url": receiver.url}}
        )
        assert created.status_code == 201, created.text
        secret = created.json()["generated"]["secret"]
        assert secret.startswith("whsec_")
        sent = await client.post(f"/v1/channels/{name}/test")
        assert sent.json() == {"status": "delivered", "error": "", "retry_after_s": None}
        (request,) = await receiver.wait_for(1)
    body = Webhook(secret).verify(request.body, request.headers)
    assert body["notifications"][0]["kind"] == "test"

    listed = (await client.get("/v1/channels")).text
    shown = (await client.get(f"/v1/channels/{name}")).json()
    assert shown["param_names"] == ["secret", "url"]
    assert "generated" not in shown
    for leak in (secret, "s3cr3t", receiver.url):
        assert leak not in listed
        assert leak not in str(shown)
    replaced = await client.put(
        f"/v1/channels/{name}",
        params={"verify": "false"},
        json={"type": "log", "params": {}, "enabled": False},
    )
    assert (replaced.json()["type"], replaced.json()["enabled"]) == ("log", False)
    assert (await client.delete(f"/v1/channels/{name}")).status_code == 204
    assert (await client.get(f"/v1/channels/{name}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ({"type": "pager"}, "type", "unknown type 'pager'"),
        ({"type": "slack", "params": {}}, "params.url", "Field required"),
        ({"type": "slack", "params": {"url": "mailto:x"}}, "params.url", "http:// or https://"),
        (
            {"type": "webhook", "params": {"url": "http://x", "secret": "nope"}},
            "params.secret",
            "whsec_",
        ),
        ({"type": "log", "name": "Bad Name"}, "name", "pattern"),
    ],
)
async def test_invalid_channels_are_422_naming_the_field(
    client: httpx.AsyncClient, unique: str, body: dict[str, Any], field: str, detail: str
) -> None:
    response = await client.post("/v1/channels", json={"name": f"c-{unique}", **body})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [p["name"] for p in problem["invalid-params"]] == [field]
    assert detail in problem["detail"]


async def test_an_unreachable_endpoint_is_refused_at_creation(
    client: httpx.AsyncClient, unique: str
) -> None:
    async with serving() as receiver:
        url = receiver.url  # closed when the block ends: nothing listens there any more
    response = await client.post(
        "/v1/channels", json={"name": f"s-{unique}", "type": "slack", "params": {"url": url}}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Endpoint unreachable"
    assert problem["invalid-params"][0]["name"] == "params.url"
    assert "cannot connect to 127.0.0.1:" in problem["detail"]
    assert "s3cr3t" not in response.text
    skipped = await client.post(
        "/v1/channels",
        params={"verify": "false"},
        json={"name": f"s-{unique}", "type": "slack", "params": {"url": url}},
    )
    assert skipped.status_code == 201
    failed = await client.post(f"/v1/channels/s-{unique}/test")
    assert failed.json()["status"] == "retryable"
    assert "s3cr3t" not in failed.text


async def test_settings_channels_are_read_only_and_names_unique(
    client: httpx.AsyncClient, unique: str
) -> None:
    name = f"cfg-{unique}"
    listed = (await client.get("/v1/channels")).json()
    mine = next(c for c in listed["channels"] if c["name"] == name)
    assert (mine["source"], mine["param_names"]) == ("settings", ["level"])
    assert {"log", "slack", "webhook", "recording"} <= set(listed["installed_types"])
    assert (await client.delete(f"/v1/channels/{name}")).status_code == 409
    again = await client.post("/v1/channels", json={"name": name, "type": "log"})
    assert again.status_code == 409


async def test_test_send_reports_a_refusal(client: httpx.AsyncClient, unique: str) -> None:
    async with serving(Reply(429, "slow down", {"Retry-After": "12"})) as receiver:
        await client.post(
            "/v1/channels",
            json={"name": f"s-{unique}", "type": "slack", "params": {"url": receiver.url}},
        )
        response = await client.post(f"/v1/channels/s-{unique}/test")
    assert response.json() == {
        "status": "retryable",
        "error": "HTTP 429: slow down",
        "retry_after_s": 12.0,
    }


async def test_silences_are_listed_and_expire(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/v1/silences",
        json={"matchers": ["kind=anomaly"], "ends_at": "2999-01-01T00:00:00Z", "comment": "maint"},
    )
    assert created.status_code == 201
    silence = created.json()
    assert silence["active"] is True
    active = (await client.get("/v1/silences", params={"active": "true"})).json()["silences"]
    assert silence["id"] in [s["id"] for s in active]
    expired = (await client.delete(f"/v1/silences/{silence['id']}")).json()
    assert expired["active"] is False
    active = (await client.get("/v1/silences", params={"active": "true"})).json()["silences"]
    assert silence["id"] not in [s["id"] for s in active]
    assert (await client.delete("/v1/silences/nope")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"matchers": ["kind"], "ends_at": "2999-01-01T00:00:00Z"}, "matchers"),
        ({"matchers": [], "ends_at": "2999-01-01T00:00:00Z"}, "matchers"),
        ({"matchers": ["a=b"], "ends_at": "2999-01-01T00:00:00"}, "ends_at"),
        (
            {
                "matchers": ["a=b"],
                "starts_at": "2999-01-02T00:00:00Z",
                "ends_at": "2999-01-01T00:00:00Z",
            },
            "body",
        ),
    ],
)
async def test_bad_silences_name_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/v1/silences", json=body)
    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid-params"]] == [field]


@pytest.mark.parametrize(
    ("params", "bad"),
    [({"status": "lost"}, "status"), ({"limit": "0"}, "limit"), ({"event_id": "x"}, "event_id")],
)
async def test_bad_delivery_queries_name_the_parameter(
    client: httpx.AsyncClient, params: dict[str, str], bad: str
) -> None:
    response = await client.get("/v1/deliveries", params=params)
    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalid-params"]] == [bad]


async def test_route_and_openapi(client: httpx.AsyncClient) -> None:
    route = (await client.get("/v1/route")).json()
    assert route["channels"] == ["*"]
    assert (route["group_by"], route["group_wait"], route["continue"], route["routes"]) == (
        ["..."],
        0.0,
        False,
        [],
    )
    spec = (await client.get("/openapi.json")).json()
    assert {"get", "post"} <= set(spec["paths"]["/v1/channels"])
    assert "post" in spec["paths"]["/v1/channels/{name}/test"]
    assert {"get", "post"} <= set(spec["paths"]["/v1/silences"])
    assert "status" in {p["name"] for p in spec["paths"]["/v1/deliveries"]["get"]["parameters"]}
