"""HTTP routes of the notifier service. Thin: validate, read, shape the answer."""

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.web.problems import Problem
from kubeopt_notifier import repository
from kubeopt_notifier.channels.registry import ConfiguredChannel
from kubeopt_notifier.domain import DeliveryStatus
from kubeopt_notifier.schemas import ChannelsOut, DeliveriesOut, DeliveryOut

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or invalid bearer token"},
    422: {"model": Problem, "description": "A parameter failed validation (named in it)"},
}


def build_router(
    db: Database, *, channels: Sequence[ConfiguredChannel], installed_types: Sequence[str]
) -> APIRouter:
    """The ``/v1`` routes over the configured ``channels`` and the delivery log in ``db``."""
    router = APIRouter(prefix="/v1", tags=["notifications"])
    channels_out = ChannelsOut.build(channels, installed_types)

    async def session() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(db.sessions) as s:
            yield s

    @router.get(
        "/channels",
        summary="Configured channels and installed channel types",
        description="Param values are not shown: they may hold webhook URLs or signing keys.",
        response_model=ChannelsOut,
        responses=PROBLEM_RESPONSES,
    )
    async def get_channels() -> ChannelsOut:
        return channels_out

    @router.get(
        "/deliveries",
        summary="The delivery log, newest first",
        description="One entry per (event, channel), updated on every attempt.",
        response_model=DeliveriesOut,
        responses=PROBLEM_RESPONSES,
    )
    async def get_deliveries(
        db_session: Annotated[AsyncSession, Depends(session)],
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many entries")] = 50,
        status: Annotated[
            DeliveryStatus | None, Query(description="Only entries in this status")
        ] = None,
        event_id: Annotated[
            uuid.UUID | None, Query(description="Only entries of this source event")
        ] = None,
    ) -> DeliveriesOut:
        records = await repository.list_deliveries(
            db_session, limit=limit, status=status, event_id=event_id
        )
        return DeliveriesOut(deliveries=[DeliveryOut.from_record(r) for r in records])

    return router
