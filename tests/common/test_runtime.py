"""run_service (start hooks, the API on a real port, loops, clean stop) and load_settings."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from prometheus_client import CollectorRegistry

from kubeopt_common.bus.server import free_port
from kubeopt_common.runtime import (
    Hook,
    Loop,
    ServiceRuntime,
    SettingsError,
    load_settings,
    run_service,
)
from kubeopt_common.settings import ApiSettings, Environment, ServiceSettings, TelemetrySettings
from kubeopt_common.web import create_api
from kubeopt_common.web.app import ApiStartError


class LoopFailedError(RuntimeError):
    pass


def _recording_hook(journal: list[str], name: str) -> Hook:
    async def hook() -> None:
        journal.append(name)

    return hook


def _runtime(journal: list[str], loops: list[Loop]) -> ServiceRuntime:
    port = free_port()
    api = create_api(
        title="t",
        description="t",
        version="0",
        token="test-token",
        routers=[],
        readiness=[],
        registry=CollectorRegistry(),
    )
    return ServiceRuntime(
        name="svc",
        api_settings=ApiSettings(port=port),
        api=api,
        start_hooks=[_recording_hook(journal, "start db"), _recording_hook(journal, "start ch")],
        stop_hooks=[_recording_hook(journal, "stop db"), _recording_hook(journal, "stop ch")],
        loops=loops,
    )


async def test_run_service_serves_until_stopped_then_stops_in_reverse() -> None:
    journal: list[str] = []

    async def ticker() -> None:
        journal.append("loop running")
        await asyncio.Event().wait()

    runtime = _runtime(journal, [ticker])
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(runtime, stop=stop))
    await asyncio.wait_for(runtime.started.wait(), timeout=10)

    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{runtime.api_settings.port}/healthz")
    assert response.status_code == 200
    assert journal == ["start db", "start ch", "loop running"]

    stop.set()
    await asyncio.wait_for(service, timeout=10)
    assert journal[3:] == ["stop ch", "stop db"]
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{runtime.api_settings.port}/healthz")


async def test_a_loop_that_raises_makes_run_service_raise_it() -> None:
    journal: list[str] = []

    async def failing() -> None:
        raise LoopFailedError("source unreachable")

    async def healthy() -> None:
        await asyncio.Event().wait()

    runtime = _runtime(journal, [healthy, failing])

    with pytest.raises(LoopFailedError, match="source unreachable"):
        await asyncio.wait_for(run_service(runtime, stop=asyncio.Event()), timeout=10)
    assert journal == ["start db", "start ch", "stop ch", "stop db"]


async def test_a_failing_start_hook_is_raised_and_no_stop_hook_runs() -> None:
    journal: list[str] = []
    runtime = _runtime(journal, [])

    async def broken() -> None:
        raise ConnectionError("database refused")

    runtime.start_hooks.insert(1, broken)

    with pytest.raises(ConnectionError, match="database refused"):
        await asyncio.wait_for(run_service(runtime, stop=asyncio.Event()), timeout=10)
    assert journal == ["start db"]
    assert not runtime.started.is_set()


async def test_an_api_port_in_use_is_an_error_naming_it_and_stop_hooks_still_run() -> None:
    journal: list[str] = []
    runtime = _runtime(journal, [])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", runtime.api_settings.port))
        squatter.listen()

        with pytest.raises(ApiStartError, match=f"127.0.0.1:{runtime.api_settings.port}"):
            await asyncio.wait_for(run_service(runtime, stop=asyncio.Event()), timeout=10)
    assert journal == ["start db", "start ch", "stop ch", "stop db"]
    assert not runtime.started.is_set()


# ----------------------------------------------------------------------------- load_settings
def test_a_bad_env_var_is_a_one_line_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEOPT_NATS__URL", "http://x")

    with pytest.raises(SettingsError) as info:
        load_settings(ServiceSettings)

    message = str(info.value)
    assert message.startswith("invalid setting KUBEOPT_NATS__URL: ")
    assert "pattern" in message
    assert "\n" not in message


def test_several_bad_env_vars_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEOPT_NATS__URL", "http://x")
    monkeypatch.setenv("KUBEOPT_API__PORT", "99999")

    with pytest.raises(SettingsError, match=r"\(\+1 more\)$"):
        load_settings(ServiceSettings)


def test_prod_without_an_api_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEOPT_ENV", "prod")
    monkeypatch.delenv("KUBEOPT_API__TOKEN", raising=False)

    with pytest.raises(SettingsError) as info:
        load_settings(ServiceSettings)

    assert str(info.value) == (
        "invalid settings: api.token must be set when env=prod (KUBEOPT_API__TOKEN)"
    )


def test_prod_with_a_token_and_nested_env_vars_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEOPT_ENV", "prod")
    monkeypatch.setenv("KUBEOPT_API__TOKEN", "from-env")
    monkeypatch.setenv("KUBEOPT_NATS__URL", "nats://nats:4222")

    settings = load_settings(ServiceSettings, telemetry=TelemetrySettings(log_format="console"))

    assert settings.env is Environment.PROD
    assert settings.api.token.get_secret_value() == "from-env"
    assert settings.nats.url == "nats://nats:4222"
    assert settings.telemetry.log_format == "console"
