"""Calling a running notifier's API in-process, and waiting for the delivery log."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from kubeopt_common.runtime import ServiceRuntime
from tests.notifier.conftest import API_TOKEN

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
WAIT_S = 30.0


async def call(runtime: ServiceRuntime, method: str, path: str, **kwargs: Any) -> httpx.Response:
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
        return await client.request(method, path, headers=AUTH, **kwargs)


async def deliveries(runtime: ServiceRuntime, event_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """The delivery log of one event, by channel name."""
    response = await call(runtime, "GET", "/v1/deliveries", params={"event_id": str(event_id)})
    assert response.status_code == 200, response.text
    return {d["channel"]: d for d in response.json()["deliveries"]}


async def wait_status(
    runtime: ServiceRuntime, event_id: uuid.UUID, channel: str, status: str
) -> dict[str, Any]:
    """The log entry of (event, channel) once it has ``status``; fails naming what it had."""
    seen: dict[str, Any] | None = None
    try:
        async with asyncio.timeout(WAIT_S):
            while True:
                seen = (await deliveries(runtime, event_id)).get(channel)
                if seen is not None and seen["status"] == status:
                    return seen
                await asyncio.sleep(0.05)
    except TimeoutError:
        msg = f"{channel} never reached {status} for {event_id}; last entry: {seen}"
        raise AssertionError(msg) from None
