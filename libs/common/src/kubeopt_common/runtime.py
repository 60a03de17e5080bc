"""Running a service: start its stores and bus, serve its API, run its loops, stop cleanly.

Every service's ``app.build(settings)`` returns a :class:`ServiceRuntime`; ``__main__`` (one
service per process, distributed mode) and the all-in-one runner both run it with
:func:`run_service`.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from kubeopt_common.bus.broker import Bus
from kubeopt_common.settings import ApiSettings
from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)

Hook = Callable[[], Awaitable[None]]
Loop = Callable[[], Coroutine[Any, Any, None]]
S = TypeVar("S", bound=BaseSettings)


class SettingsError(ValueError):
    """Settings failed validation; the message is one line naming the variable and reason."""


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build settings from the environment (and ``overrides``), with a one-line error."""
    try:
        return cls(**overrides)
    except ValidationError as err:
        first = err.errors()[0]
        prefix = str(cls.model_config.get("env_prefix", ""))
        path = "__".join(str(p) for p in first["loc"]).upper()
        # A model-level rule (e.g. "a token in prod") has no location; its message names the vars.
        where = f"setting {prefix}{path}" if path else "settings"
        reason = str(first["msg"]).removeprefix("Value error, ")
        more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
        msg = f"invalid {where}: {reason}{more}"
        raise SettingsError(msg) from err


@dataclass
class ServiceRuntime:
    """The parts of a running service. Hooks run in order; stop hooks in reverse."""

    name: str
    api_settings: ApiSettings
    bus: Bus | None = None
    api: FastAPI | None = None
    start_hooks: list[Hook] = field(default_factory=list)
    stop_hooks: list[Hook] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)


async def run_service(runtime: ServiceRuntime, *, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or SIGINT/SIGTERM when ``stop`` is None), then shut down.

    A loop that raises stops the service with that error, so a supervisor can restart it.
    """
    from kubeopt_common.web.app import serve  # lazy: keeps uvicorn off the import path

    stop = stop or _signal_event()
    done_hooks: list[Hook] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for hook in runtime.start_hooks:
            await hook()
        done_hooks = list(runtime.stop_hooks)
        if runtime.bus is not None:
            await runtime.bus.start()
        if runtime.api is not None:
            api_ready = asyncio.Event()
            api_task = asyncio.create_task(
                serve(
                    runtime.api,
                    host=runtime.api_settings.host,
                    port=runtime.api_settings.port,
                    ready=api_ready,
                )
            )
            tasks.append(api_task)
            # Either the API listens, or its task ends with the reason it could not.
            ready_wait = asyncio.create_task(api_ready.wait())
            await asyncio.wait([ready_wait, api_task], return_when=asyncio.FIRST_COMPLETED)
            ready_wait.cancel()
            if api_task.done():
                api_task.result()
        tasks.extend(asyncio.create_task(loop()) for loop in runtime.loops)
        runtime.started.set()
        log.info("service.started", api_port=runtime.api_settings.port)
        stopper = asyncio.create_task(stop.wait())
        finished, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()  # also when a loop failed: nothing may wait on `stop` after we return
        for task in finished:
            error = None if task is stopper else task.exception()
            if error is not None:
                raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if runtime.bus is not None:
            await runtime.bus.stop()
        for hook in reversed(done_hooks):
            await hook()
        log.info("service.stopped")


def _signal_event() -> asyncio.Event:
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, event.set)
    return event
