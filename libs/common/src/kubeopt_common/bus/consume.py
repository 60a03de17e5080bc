"""The consumer discipline every service uses.

* durable pull consumers, reconciled at start-up (editable settings are updated, never silently
  kept from an older deployment);
* explicit acks: a message is acked only after the handler returned, i.e. after its write
  committed; a failure is nacked with a delay and retried up to ``max_deliver`` times;
* a message that cannot be decoded, or fails on its last delivery, goes to the dead-letter subject
  with the reason and the original payload, and is then acked — the service keeps running;
* when a batch fails, its messages are retried one by one so one poison message cannot drag the
  healthy ones into the dead-letter subject;
* ``in_flight`` > 1 lets the next batch be fetched and decoded while earlier ones are still in
  their handler (whose writes wait on I/O); each batch is still acked only after its own handler
  returned, so handlers of such consumers must tolerate running concurrently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind
from pydantic import ValidationError

from kubeopt_common.events.deadletter import DeadLetter, encode_payload
from kubeopt_common.events.envelope import Event
from kubeopt_common.events.subjects import Subject, dead_letter_subject
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_common.telemetry.metrics import BusMetrics
from kubeopt_common.telemetry.tracing import extract_context, tracer

E = TypeVar("E", bound=Event)
log = get_logger(__name__)


class PermanentError(Exception):
    """Raised by a handler for input that can never succeed: dead-letter it without retrying."""


@dataclass(frozen=True, slots=True)
class ConsumerPolicy:
    """Delivery settings of one durable consumer. Times in seconds."""

    durable: str
    max_deliver: int = 5
    ack_wait_s: float = 60.0
    batch_size: int = 64
    fetch_timeout_s: float = 0.5
    max_ack_pending: int = 20_000
    nak_delays_s: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0)
    in_flight: int = 1

    def __post_init__(self) -> None:
        if self.in_flight < 1:
            msg = f"in_flight must be >= 1, got {self.in_flight}"
            raise ValueError(msg)

    def consumer_config(self, subject_filter: str) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subject=subject_filter,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait_s,
            max_ack_pending=self.max_ack_pending,
            max_waiting=512,
        )

    def nak_delay(self, num_delivered: int) -> float:
        return self.nak_delays_s[min(num_delivered, len(self.nak_delays_s)) - 1]


@dataclass(frozen=True, slots=True)
class Delivery(Generic[E]):
    """A decoded event with the delivery facts a handler may need."""

    event: E
    subject: str
    num_delivered: int
    stream_sequence: int


BatchHandler = Callable[[Sequence[Delivery[E]]], Awaitable[None]]
Salvage = Callable[[bytes], tuple[E, list[str]] | None]
"""Keeps the valid part of an invalid message: (event, what was dropped and why) or None."""
DeadLetterSink = Callable[[str, DeadLetter, str], Awaitable[None]]
"""(subject, record, msg_id) -> publish."""


def _num_delivered(msg: Msg) -> int:
    try:
        return int(msg.metadata.num_delivered)
    except Exception:  # core (non-JetStream) message, e.g. in-memory tests
        return 1


def _stream_seq(msg: Msg) -> int:
    try:
        return int(msg.metadata.sequence.stream)
    except Exception:
        return 0


def _validation_summary(err: ValidationError, *, limit: int = 3) -> str:
    parts = []
    for item in err.errors()[:limit]:
        loc = ".".join(str(p) for p in item["loc"]) or "<root>"
        parts.append(f"{loc}: {item['msg']}")
    more = err.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


class ConsumerRunner(Generic[E]):
    """Decodes, dispatches, acks, nacks and dead-letters the batches of one consumer."""

    def __init__(
        self,
        *,
        service: str,
        subject: Subject,
        model: type[E],
        policy: ConsumerPolicy,
        handler: BatchHandler[E],
        dead_letters: DeadLetterSink,
        metrics: BusMetrics,
        salvage: Salvage[E] | None = None,
    ) -> None:
        self.salvage = salvage
        self.service = service
        self.subject = subject
        self.model = model
        self.policy = policy
        self.handler = handler
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._tracer = tracer(f"kubeopt.{service}")
        self._slots = asyncio.Semaphore(policy.in_flight)
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, msgs: Sequence[Msg]) -> None:
        """Handle ``msgs``: inline with ``in_flight`` 1, else in a task once a slot is free
        (returns as soon as the batch is started, so the next one can be fetched)."""
        if self.policy.in_flight == 1:
            await self.handle_batch(msgs)
            return
        await self._slots.acquire()
        task = asyncio.create_task(self._handle_in_slot(msgs))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _handle_in_slot(self, msgs: Sequence[Msg]) -> None:
        try:
            await self.handle_batch(msgs)
        except Exception:  # handle_batch nacks or dead-letters; this is a bus failure
            log.exception("bus.batch_task_failed", consumer=self.policy.durable, size=len(msgs))
        finally:
            self._slots.release()

    async def drain(self) -> None:
        """Wait for the batches still in their handlers (at shutdown)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def dead_letter(self, msg: Msg, reason: str) -> None:
        await self.dead_letter_payload(
            subject=msg.subject,
            data=msg.data,
            headers=dict(msg.headers or {}),
            stream_sequence=_stream_seq(msg),
            num_delivered=_num_delivered(msg),
            reason=reason,
        )

    async def dead_letter_payload(
        self,
        *,
        subject: str,
        data: bytes,
        headers: dict[str, str],
        stream_sequence: int,
        num_delivered: int,
        reason: str,
    ) -> None:
        """Publish the original payload with ``reason`` to this service's dead-letter subject."""
        payload, encoding = encode_payload(data)
        record = DeadLetter(
            service=self.service,
            reason=reason,
            original_subject=subject,
            payload=payload,
            payload_encoding=encoding,
            headers=headers,
            stream_sequence=stream_sequence,
            num_delivered=num_delivered,
            failed_at=datetime.now(UTC),
        )
        # Deterministic id: a dead letter re-published after a crash is deduplicated.
        msg_id = f"dlq/{self.service}/{self.policy.durable}/{stream_sequence}"
        await self._dead_letters(dead_letter_subject(self.service, subject), record, msg_id)
        self._metrics.dead_lettered.labels(self.service, self.policy.durable, reason[:40]).inc()
        log.warning(
            "bus.dead_lettered",
            consumer=self.policy.durable,
            subject=subject,
            stream_sequence=stream_sequence,
            reason=reason,
        )

    async def handle_batch(self, msgs: Sequence[Msg]) -> None:
        started = time.perf_counter()
        decoded: list[tuple[Msg, Delivery[E]]] = []
        for msg in msgs:
            try:
                event = self.model.model_validate_json(msg.data)
            except ValidationError as err:
                kept = self.salvage(msg.data) if self.salvage else None
                if kept is None:
                    reason = f"invalid {self.model.__name__}: {_validation_summary(err)}"
                    await self.dead_letter(msg, reason)
                    await msg.ack()
                    continue
                event = await self._partly_rejected(msg, *kept)
            delivery = Delivery(event, msg.subject, _num_delivered(msg), _stream_seq(msg))
            decoded.append((msg, delivery))
        if decoded:
            await self._dispatch(decoded)
        self._metrics.batch_seconds.labels(self.service, self.policy.durable).observe(
            time.perf_counter() - started
        )

    async def _partly_rejected(self, msg: Msg, event: E, rejected: list[str]) -> E:
        """Dead-letter what was dropped (with the original payload), count it, keep the rest."""
        shown = "; ".join(rejected[:3]) + (
            f" (+{len(rejected) - 3} more)" if len(rejected) > 3 else ""
        )
        await self.dead_letter(msg, f"rejected {len(rejected)} item(s): {shown}")
        self._metrics.rejected.labels(self.service, self.policy.durable).inc(len(rejected))
        return event

    async def _dispatch(self, decoded: list[tuple[Msg, Delivery[E]]]) -> None:
        try:
            await self._run_handler(decoded)
        except Exception as err:
            if len(decoded) == 1:
                await self._fail(decoded[0][0], err)
                return
            log.warning(
                "bus.batch_failed_retrying_singly",
                consumer=self.policy.durable,
                size=len(decoded),
                error=repr(err),
            )
            for item in decoded:
                try:
                    await self._run_handler([item])
                except Exception as single_err:
                    await self._fail(item[0], single_err)
                else:
                    await item[0].ack()
                    self._metrics.processed.labels(self.service, self.policy.durable).inc()
            return
        for msg, _ in decoded:
            await msg.ack()
        self._metrics.processed.labels(self.service, self.policy.durable).inc(len(decoded))

    async def _run_handler(self, items: Sequence[tuple[Msg, Delivery[E]]]) -> None:
        contexts = [extract_context(msg.headers) for msg, _ in items]
        links = [
            Link(span.get_span_context())
            for ctx in contexts[1:]
            if (span := trace.get_current_span(ctx)).get_span_context().is_valid
        ]
        with self._tracer.start_as_current_span(
            f"process {self.subject.value}",
            context=contexts[0],
            kind=SpanKind.CONSUMER,
            links=links,
            attributes={
                "messaging.system": "nats",
                "messaging.consumer.group.name": self.policy.durable,
                "messaging.batch.message_count": len(items),
            },
        ):
            await self.handler([delivery for _, delivery in items])

    async def _fail(self, msg: Msg, err: Exception) -> None:
        delivered = _num_delivered(msg)
        if isinstance(err, PermanentError) or delivered >= self.policy.max_deliver:
            why = "rejected" if isinstance(err, PermanentError) else f"failed {delivered} times"
            await self.dead_letter(msg, f"{why}: {type(err).__name__}: {err}")
            await msg.ack()
            return
        log.warning(
            "bus.handler_failed",
            consumer=self.policy.durable,
            subject=msg.subject,
            num_delivered=delivered,
            error=repr(err),
            exc_info=err,
        )
        await msg.nak(delay=self.policy.nak_delay(delivered))
        self._metrics.redelivered.labels(self.service, self.policy.durable).inc()
