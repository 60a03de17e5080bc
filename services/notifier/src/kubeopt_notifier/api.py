"""HTTP routes of the notifier service. Thin: validate, call the service, shape the answer."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.web.problems import InvalidParam, Problem, ProblemError
from kubeopt_notifier import repository, service
from kubeopt_notifier.channels.base import Channel, ChannelType
from kubeopt_notifier.channels.registry import build_channel
from kubeopt_notifier.domain import DeliveryResult, DeliveryStatus, Message
from kubeopt_notifier.domain import channel_test_notification as test_note
from kubeopt_notifier.domain.matchers import MatcherError
from kubeopt_notifier.domain.routing import RouteConfig
from kubeopt_notifier.errors import (
    ChannelConfigError,
    ChannelExistsError,
    ChannelNotFoundError,
    ChannelReadOnlyError,
    ChannelUnreachableError,
    SilenceNotFoundError,
)
from kubeopt_notifier.schemas import (
    ChannelBody,
    ChannelCreatedOut,
    ChannelIn,
    ChannelOut,
    ChannelsOut,
    DeliveriesOut,
    DeliveryOut,
    SendResultOut,
    SilenceIn,
    SilenceOut,
    SilencesOut,
)

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or invalid bearer token"},
    404: {"model": Problem, "description": "No such channel or silence"},
    409: {"model": Problem, "description": "The name is taken, or the channel is read-only"},
    422: {"model": Problem, "description": "Invalid input, named in invalid-params"},
}
ChannelName = Annotated[str, Path(description="Channel name")]


def _problem(err: Exception) -> ProblemError:
    """The problem document of a notifier error (naming the field where there is one)."""
    if isinstance(err, ChannelConfigError | ChannelUnreachableError):
        title = (
            "Endpoint unreachable"
            if isinstance(err, ChannelUnreachableError)
            else "Invalid channel"
        )
        params = [InvalidParam(name=err.field, reason=str(err))]
        return ProblemError(422, title, f"{err.field}: {err}", invalid_params=params)
    if isinstance(err, MatcherError):
        params = [InvalidParam(name="matchers", reason=str(err))]
        return ProblemError(422, "Invalid silence", f"matchers: {err}", invalid_params=params)
    if isinstance(err, ChannelNotFoundError | SilenceNotFoundError):
        return ProblemError(404, "Not found", str(err))
    return ProblemError(409, "Conflict", str(err))


NOTIFIER_ERRORS = (
    ChannelConfigError,
    ChannelUnreachableError,
    MatcherError,
    ChannelNotFoundError,
    SilenceNotFoundError,
    ChannelExistsError,
    ChannelReadOnlyError,
)


def build_router(
    db: Database,
    *,
    types: Mapping[str, ChannelType],
    route: RouteConfig,
    on_channels_changed: Callable[[], None],
    send_timeout_s: float,
) -> APIRouter:
    """The ``/v1`` routes: channels, test sends, silences, the delivery log, the route tree."""
    router = APIRouter(prefix="/v1")

    async def session() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(db.sessions) as s:
            yield s

    _channel_routes(router, db, session, types=types, on_changed=on_channels_changed)
    _test_route(router, db, types=types, send_timeout_s=send_timeout_s)
    _log_routes(router, session)
    _silence_routes(router, session)

    @router.get(
        "/route",
        tags=["routing"],
        summary="The routing tree in force",
        response_model=RouteConfig,
        response_model_by_alias=True,
        responses=RESPONSES,
    )
    async def get_route() -> RouteConfig:
        return route

    return router


def _channel_routes(
    router: APIRouter,
    db: Database,
    session: Callable[[], AsyncIterator[AsyncSession]],
    *,
    types: Mapping[str, ChannelType],
    on_changed: Callable[[], None],
) -> None:
    Session = Annotated[AsyncSession, Depends(session)]  # noqa: N806 - a type alias
    Verify = Annotated[bool, Query(description="Check the endpoint is reachable")]  # noqa: N806

    @router.get(
        "/channels",
        tags=["channels"],
        summary="Channels and installed channel types",
        response_model=ChannelsOut,
        responses=RESPONSES,
    )
    async def list_channels(db_session: Session) -> ChannelsOut:
        return ChannelsOut.build(await service.list_channels(db_session), list(types))

    @router.post(
        "/channels",
        tags=["channels"],
        status_code=201,
        summary="Create a channel (validated: known type, valid params, reachable endpoint)",
        description="With `verify=true` (default) the endpoint must accept a TCP connection; "
        "nothing is sent. Use the test-send endpoint to send a test notification.",
        response_model=ChannelCreatedOut,
        responses=RESPONSES,
    )
    async def create_channel(body: ChannelIn, verify: Verify = True) -> ChannelCreatedOut:
        try:
            prepared = await service.prepare_channel(
                types, name=body.name, type_=body.type, params=body.params, verify=verify
            )
            async with unit_of_work(db.sessions) as s:
                record = await service.add_channel(
                    s, prepared, enabled=body.enabled, now=datetime.now(UTC)
                )
        except NOTIFIER_ERRORS as err:
            raise _problem(err) from err
        on_changed()
        out = ChannelOut.from_record(record)
        return ChannelCreatedOut(**out.model_dump(), generated=prepared.generated)

    @router.get(
        "/channels/{name}",
        tags=["channels"],
        summary="One channel",
        response_model=ChannelOut,
        responses=RESPONSES,
    )
    async def get_channel(name: ChannelName, db_session: Session) -> ChannelOut:
        try:
            return ChannelOut.from_record(await service.get_channel(db_session, name))
        except NOTIFIER_ERRORS as err:
            raise _problem(err) from err

    @router.put(
        "/channels/{name}",
        tags=["channels"],
        summary="Replace a channel (API-created only)",
        response_model=ChannelOut,
        responses=RESPONSES,
    )
    async def replace_channel(
        name: ChannelName, body: ChannelBody, verify: Verify = True
    ) -> ChannelOut:
        try:
            prepared = await service.prepare_channel(
                types, name=name, type_=body.type, params=body.params, verify=verify
            )
            async with unit_of_work(db.sessions) as s:
                record = await service.replace_channel(
                    s, prepared, enabled=body.enabled, now=datetime.now(UTC)
                )
        except NOTIFIER_ERRORS as err:
            raise _problem(err) from err
        on_changed()
        return ChannelOut.from_record(record)

    @router.delete(
        "/channels/{name}",
        tags=["channels"],
        status_code=204,
        response_class=Response,
        summary="Delete a channel (API-created only)",
        responses=RESPONSES,
    )
    async def delete_channel(name: ChannelName, db_session: Session) -> Response:
        try:
            await service.delete_channel(db_session, name)
        except NOTIFIER_ERRORS as err:
            raise _problem(err) from err
        on_changed()
        return Response(status_code=204)


async def send_test(channel: Channel, *, timeout_s: float) -> DeliveryResult:
    """One attempt of a test notification on ``channel`` (closed afterwards)."""
    now = datetime.now(UTC)
    note = test_note(channel.name, now=now, event_id=uuid.uuid4())
    message = Message(
        message_id=uuid.uuid4(),
        channel=channel.name,
        route="test",
        group_key="test",
        group_labels={"channel": channel.name},
        notifications=(note,),
        created_at=now,
    )
    try:
        async with asyncio.timeout(timeout_s):
            return await channel.send(message)
    except TimeoutError:
        return DeliveryResult.retryable(f"no answer within {timeout_s:g} s")
    finally:
        await channel.close()


def _test_route(
    router: APIRouter, db: Database, *, types: Mapping[str, ChannelType], send_timeout_s: float
) -> None:
    @router.post(
        "/channels/{name}/test",
        tags=["channels"],
        summary="Send a test notification now (one attempt, no retry, not logged)",
        response_model=SendResultOut,
        responses=RESPONSES,
    )
    async def test_send(name: ChannelName) -> SendResultOut:
        try:
            async with unit_of_work(db.sessions) as s:
                record = await service.get_channel(s, name)
            channel = build_channel(
                types, name=record.name, type_=record.type, params=record.params
            )
        except NOTIFIER_ERRORS as err:
            raise _problem(err) from err
        return SendResultOut.from_result(await send_test(channel, timeout_s=send_timeout_s))


def _log_routes(router: APIRouter, session: Callable[[], AsyncIterator[AsyncSession]]) -> None:
    Session = Annotated[AsyncSession, Depends(session)]  # noqa: N806 - a type alias

    @router.get(
        "/deliveries",
        tags=["deliveries"],
        summary="The delivery log, newest first",
        description="One entry per (event, channel): pending, retrying, delivered, failed, "
        "dead_lettered (every attempt failed or the channel was disabled), silenced, suppressed.",
        response_model=DeliveriesOut,
        responses=RESPONSES,
    )
    async def get_deliveries(
        db_session: Session,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many entries")] = 50,
        status: Annotated[
            DeliveryStatus | None, Query(description="Only entries in this status")
        ] = None,
        event_id: Annotated[
            uuid.UUID | None, Query(description="Only entries of this source event")
        ] = None,
        channel: Annotated[str | None, Query(description="Only entries of this channel")] = None,
    ) -> DeliveriesOut:
        records = await repository.list_deliveries(
            db_session, limit=limit, status=status, event_id=event_id, channel=channel
        )
        return DeliveriesOut(deliveries=[DeliveryOut.from_record(r) for r in records])


def _silence_routes(router: APIRouter, session: Callable[[], AsyncIterator[AsyncSession]]) -> None:
    Session = Annotated[AsyncSession, Depends(session)]  # noqa: N806 - a type alias

    @router.post(
        "/silences",
        tags=["silences"],
        status_code=201,
        summary="Create a silence",
        response_model=SilenceOut,
        responses=RESPONSES,
    )
    async def create_silence(body: SilenceIn, db_session: Session) -> SilenceOut:
        now = datetime.now(UTC)
        try:
            record = await service.create_silence(
                db_session,
                matchers=body.matchers,
                starts_at=body.starts_at or now,
                ends_at=body.ends_at,
                created_by=body.created_by,
                comment=body.comment,
                now=now,
            )
        except MatcherError as err:
            raise _problem(err) from err
        return SilenceOut.from_record(record, now=now)

    @router.get(
        "/silences",
        tags=["silences"],
        summary="Silences, newest first",
        response_model=SilencesOut,
        responses=RESPONSES,
    )
    async def list_silences(
        db_session: Session,
        active: Annotated[bool, Query(description="Only silences in force now")] = False,
    ) -> SilencesOut:
        now = datetime.now(UTC)
        records = await service.list_silences(db_session, active_at=now if active else None)
        return SilencesOut(silences=[SilenceOut.from_record(r, now=now) for r in records])

    @router.delete(
        "/silences/{silence_id}",
        tags=["silences"],
        summary="Expire a silence now",
        response_model=SilenceOut,
        responses=RESPONSES,
    )
    async def expire_silence(silence_id: str, db_session: Session) -> SilenceOut:
        now = datetime.now(UTC)
        try:
            record = await service.expire_silence(db_session, silence_id, now=now)
        except SilenceNotFoundError as err:
            raise _problem(err) from err
        return SilenceOut.from_record(record, now=now)
