"""HTTP routes of the collector: ``/v1/sources`` (the built-in source) and ``/v1/clusters``
(the cluster registry: CRUD and status). Routes own the transaction; a registry change
reaches the running sources only after it commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from kubeopt_collector import repository
from kubeopt_collector.domain.clusters import ClusterSpec
from kubeopt_collector.health import SourceHealth, SourceState
from kubeopt_collector.models import ClusterRow
from kubeopt_collector.registry import ClusterSupervisor
from kubeopt_collector.schemas import (
    ClusterOut,
    ClusterSourceStatus,
    ClustersOut,
    SourceStatusOut,
)
from kubeopt_collector.status import SourceStatus
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.web.problems import Problem, ProblemError

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or invalid bearer token"},
    404: {"model": Problem, "description": "No cluster has that id or name"},
    409: {"model": Problem, "description": "A cluster with that name exists"},
    422: {"model": Problem, "description": "A field failed validation (named in it)"},
}
ClusterRef = Annotated[str, Path(description="The cluster's id, or its name")]


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


def _source_status(health: SourceHealth) -> ClusterSourceStatus:
    return ClusterSourceStatus(
        kind=health.source,
        state=health.state.value,
        last_seen_at=health.last_seen_at,
        last_error=health.last_error,
        last_error_at=health.last_error_at,
        next_retry_at=health.next_retry_at,
        consecutive_failures=health.consecutive_failures,
        messages_published=health.published,
        input_skipped=health.skipped,
    )


def _overall(states: Sequence[SourceHealth], *, running: bool) -> str:
    if not running or not states:
        return "stopped" if running else "starting"
    if any(h.state is SourceState.RETRYING for h in states):
        return "degraded"
    if all(h.state is SourceState.OK for h in states):
        return "ok"
    return "starting"


def cluster_out(row: ClusterRow, supervisor: ClusterSupervisor) -> ClusterOut:
    spec = repository.spec_of(row)
    healths = supervisor.health(row.id)
    seen = [h.last_seen_at for h in healths if h.last_seen_at is not None]
    last_seen: datetime | None = max(seen) if seen else None
    return ClusterOut(
        id=row.id,
        name=row.name,
        provider=spec.provider,
        region=row.region,
        sources=list(spec.sources),
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=_overall(healths, running=supervisor.running),
        last_seen_at=last_seen,
        source_status=[_source_status(h) for h in healths],
    )


def _not_found(ref: str) -> ProblemError:
    return ProblemError(404, "Cluster not found", f"no registered cluster has id or name {ref!r}")


def _exists(name: str) -> ProblemError:
    return ProblemError(409, "Cluster exists", f"a cluster named {name!r} is already registered")


def clusters_router(db: Database, supervisor: ClusterSupervisor) -> APIRouter:
    router = APIRouter(prefix="/v1/clusters", tags=["clusters"], responses=PROBLEMS)

    @router.get("", summary="Registered clusters with the status of their sources")
    async def list_clusters() -> ClustersOut:
        async with unit_of_work(db.sessions) as session:
            rows = await repository.list_clusters(session)
            return ClustersOut(clusters=[cluster_out(r, supervisor) for r in rows])

    @router.post("", status_code=201, summary="Register a cluster and start its sources")
    async def add_cluster(spec: ClusterSpec) -> ClusterOut:
        async with unit_of_work(db.sessions) as session:
            if await repository.get_cluster(session, spec.name) is not None:
                raise _exists(spec.name)
            row = await repository.add_cluster(session, spec)
        supervisor.apply(row.id, spec)
        return cluster_out(row, supervisor)

    @router.get("/{cluster}", summary="One cluster: settings, status and last contact per source")
    async def get_cluster(cluster: ClusterRef) -> ClusterOut:
        async with unit_of_work(db.sessions) as session:
            row = await repository.get_cluster(session, cluster)
            if row is None:
                raise _not_found(cluster)
            return cluster_out(row, supervisor)

    @router.put("/{cluster}", summary="Replace a cluster's settings; its sources restart")
    async def replace_cluster(cluster: ClusterRef, spec: ClusterSpec) -> ClusterOut:
        async with unit_of_work(db.sessions) as session:
            row = await repository.get_cluster(session, cluster)
            if row is None:
                raise _not_found(cluster)
            other = await repository.get_cluster(session, spec.name)
            if other is not None and other.id != row.id:
                raise _exists(spec.name)
            repository.replace_cluster(row, spec)
        supervisor.apply(row.id, spec)
        return cluster_out(row, supervisor)

    @router.delete("/{cluster}", status_code=204, summary="Unregister a cluster; stop its sources")
    async def delete_cluster(cluster: ClusterRef) -> Response:
        async with unit_of_work(db.sessions) as session:
            row = await repository.get_cluster(session, cluster)
            if row is None:
                raise _not_found(cluster)
            cluster_id: uuid.UUID = row.id
            await repository.delete_cluster(session, row)
        supervisor.remove(cluster_id)
        return Response(status_code=204)

    return router
