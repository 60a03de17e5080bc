"""The FastAPI application every service builds: auth, problems, health, metrics, OpenAPI."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import uvicorn
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from kubeopt_common.web.auth import require_token
from kubeopt_common.web.problems import install_problem_handlers


@dataclass(frozen=True)
class ReadinessCheck:
    """A named async probe; ``/readyz`` is ready when every probe returns True."""

    name: str
    probe: Callable[[], Awaitable[bool]]


async def _run_check(check: ReadinessCheck) -> tuple[str, bool]:
    try:
        return check.name, bool(await asyncio.wait_for(check.probe(), timeout=3.0))
    except Exception:
        return check.name, False


def create_api(
    *,
    title: str,
    description: str,
    version: str,
    token: str,
    routers: Sequence[APIRouter],
    readiness: Sequence[ReadinessCheck],
    registry: CollectorRegistry,
) -> FastAPI:
    """Build a service API. Every router is mounted behind the bearer token."""
    app = FastAPI(title=title, description=description, version=version)
    install_problem_handlers(app)
    auth = [Depends(require_token(token))]
    for router in routers:
        app.include_router(router, dependencies=auth)

    @app.get("/healthz", tags=["ops"], summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Readiness: every dependency answers")
    async def readyz() -> JSONResponse:
        results = dict(await asyncio.gather(*(_run_check(c) for c in readiness)))
        ready = all(results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


class ApiStartError(RuntimeError):
    """The API could not start serving (e.g. its port is taken)."""


async def _serve_until_exit(server: uvicorn.Server, *, host: str, port: int) -> None:
    try:
        await server.serve()
    except SystemExit as exit_:
        # uvicorn exits the whole process when it cannot bind; a service reports it as an error
        # so that its stop hooks still run.
        msg = f"the API could not start on {host}:{port} (uvicorn exit status {exit_.code})"
        raise ApiStartError(msg) from None


async def serve(app: FastAPI, *, host: str, port: int, ready: asyncio.Event | None = None) -> None:
    """Run ``app`` with uvicorn inside the current event loop until cancelled.

    ``ready`` is set once the server listens; if it cannot start, :class:`ApiStartError` is raised
    and ``ready`` stays unset. Cancelling shuts uvicorn down cleanly (its port is released).
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(_serve_until_exit(server, host=host, port=port))
    try:
        # uvicorn offers no start-up callback: poll its flag.
        while True:
            if server.started or task.done():
                break
            await asyncio.sleep(0.02)
        if server.started and ready is not None:
            ready.set()
        # Shielded: a cancellation must reach uvicorn as should_exit, not as CancelledError,
        # or it never runs its shutdown and keeps the listening socket open.
        await asyncio.shield(task)
    except asyncio.CancelledError:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=5.0)
        raise
