"""HTTP routes of the collector: ``/v1/sources``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import APIRouter

from kubeopt_collector.schemas import SourceStatusOut
from kubeopt_collector.status import SourceStatus


def sources_router(statuses: Callable[[], Sequence[SourceStatus]]) -> APIRouter:
    router = APIRouter(prefix="/v1/sources", tags=["sources"])

    @router.get("", summary="Status of each source: clusters, last window, counters, errors")
    async def list_sources() -> list[SourceStatusOut]:
        return [
            SourceStatusOut(
                name=s.name,
                kind=s.kind,
                clusters=list(s.clusters),
                last_windows={c: s.last_windows.get(c) for c in s.clusters},
                messages_published=s.messages_published,
                samples_published=s.samples_published,
                last_error=s.last_error,
                last_error_at=s.last_error_at,
            )
            for s in statuses()
        ]

    return router
