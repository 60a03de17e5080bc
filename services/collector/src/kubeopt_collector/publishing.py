"""Publishing serialised events: the collector's hot path to JetStream.

``kubeopt_common.bus.EventPublisher`` serialises an event model when it publishes it. The
collector serialises its usage messages once, straight from columns, and never builds their
models; :class:`MessagePublisher` publishes such bytes the way ``EventPublisher`` publishes
events: pipelined ``publish_async``, the event id as ``Nats-Msg-Id`` (JetStream drops a
republished window inside its duplicate window), the trace context in the headers, and every
publish acknowledged before :meth:`MessagePublisher.publish_many` returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from nats.aio.client import Client
from nats.js.api import PubAck
from opentelemetry.trace import SpanKind

from kubeopt_common.bus.publish import CONTENT_TYPE, MSG_ID_HEADER
from kubeopt_common.events import Event, UsageSampled
from kubeopt_common.telemetry.tracing import inject_headers, tracer


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One event as it goes on the wire: subject, ``Nats-Msg-Id`` and JSON payload.

    ``samples`` is the number of container samples it carries (0 for non-usage events).
    """

    subject: str
    msg_id: str
    payload: bytes
    samples: int = 0

    @classmethod
    def of(cls, event: Event) -> OutgoingMessage:
        """Serialise an event model (the general path, for events built as models)."""
        samples = event.sample_count if isinstance(event, UsageSampled) else 0
        return cls(event.subject, event.msg_id, event.model_dump_json().encode(), samples)


class MessagePublisher:
    """Publishes :class:`OutgoingMessage` batches to JetStream and waits for every PubAck."""

    def __init__(self, nc: Client, *, max_pending: int = 4000, timeout_s: float = 10.0) -> None:
        self._js = nc.jetstream(publish_async_max_pending=max_pending)
        self._timeout_s = timeout_s
        self._tracer = tracer("kubeopt.collector")

    async def publish_many(self, messages: Iterable[OutgoingMessage]) -> list[PubAck]:
        """Publish in order, pipelined; raises if any publish is not acknowledged in time."""
        futures: list[asyncio.Future[PubAck]] = []
        with self._tracer.start_as_current_span("publish batch", kind=SpanKind.PRODUCER) as span:
            for message in messages:
                headers = inject_headers({MSG_ID_HEADER: message.msg_id, **CONTENT_TYPE})
                futures.append(
                    await self._js.publish_async(
                        message.subject, message.payload, headers=dict(headers)
                    )
                )
            span.set_attribute("messaging.batch.message_count", len(futures))
            if not futures:
                return []
            acks = await asyncio.wait_for(asyncio.gather(*futures), timeout=self._timeout_s * 3)
        return list(acks)

    async def publish_events(self, events: Iterable[Event]) -> list[PubAck]:
        """Serialise event models and publish them like :meth:`publish_many`."""
        return await self.publish_many(OutgoingMessage.of(event) for event in events)
