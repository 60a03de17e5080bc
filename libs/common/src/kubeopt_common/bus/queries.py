"""Serving and asking request/reply queries over core NATS (see :mod:`kubeopt_common.queries`).

A service answers in a queue group named after it, so replicas share the load. Bad requests get
a reply whose ``error`` names the problem; the server never crashes on one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg
from pydantic import BaseModel, ValidationError

from kubeopt_common.queries.subjects import QuerySubject
from kubeopt_common.telemetry.logging import get_logger

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)
log = get_logger(__name__)


class QueryError(RuntimeError):
    """The service refused the query or did not answer in time."""


class QueryServer(Generic[Req, Rep]):
    """Decodes a request, calls ``handler``, replies; errors become ``reply_model(error=...)``."""

    def __init__(
        self,
        subject: QuerySubject,
        request_model: type[Req],
        reply_model: type[Rep],
        handler: Callable[[Req], Awaitable[Rep]],
    ) -> None:
        self.subject = subject
        self.request_model = request_model
        self.reply_model = reply_model
        self.handler = handler

    async def on_request(self, msg: Msg) -> None:
        try:
            request = self.request_model.model_validate_json(msg.data)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "<root>"
            await self._reply(
                msg, self.reply_model(error=f"invalid request: {where}: {first['msg']}")
            )
            return
        try:
            reply = await self.handler(request)
        except Exception as err:
            log.exception("query.failed", subject=self.subject.value)
            reply = self.reply_model(error=f"{type(err).__name__}: {err}")
        await self._reply(msg, reply)

    @staticmethod
    async def _reply(msg: Msg, reply: BaseModel) -> None:
        if msg.reply:
            await msg.respond(reply.model_dump_json().encode())

    async def subscribe(self, nc: Client, *, queue: str) -> Any:
        return await nc.subscribe(self.subject.value, queue=queue, cb=self.on_request)


async def ask(
    nc: Client,
    subject: QuerySubject,
    request: BaseModel,
    reply_model: type[Rep],
    *,
    timeout_s: float = 10.0,
) -> Rep:
    """Send ``request`` and return the reply; raises :class:`QueryError` on refusal or timeout."""
    try:
        msg = await nc.request(subject.value, request.model_dump_json().encode(), timeout=timeout_s)
    except TimeoutError as err:
        raise QueryError(f"no answer to {subject.value} within {timeout_s}s") from err
    reply = reply_model.model_validate_json(msg.data)
    error = getattr(reply, "error", "")
    if error:
        raise QueryError(f"{subject.value}: {error}")
    return reply
