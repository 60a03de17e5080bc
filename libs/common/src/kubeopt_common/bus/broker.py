"""The bus of one service: a FastStream NATS broker, its durable consumers and its publisher."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from faststream.nats.prometheus import NatsPrometheusMiddleware
from faststream.security import SASLPlaintext
from nats.aio.msg import Msg
from nats.js.errors import NotFoundError
from prometheus_client import CollectorRegistry

from kubeopt_common.bus.consume import (
    BatchHandler,
    ConsumerPolicy,
    ConsumerRunner,
    E,
    Salvage,
)
from kubeopt_common.bus.publish import EventPublisher
from kubeopt_common.bus.queries import QueryServer, Rep, Req
from kubeopt_common.bus.streams import ensure_streams, stream_for
from kubeopt_common.events.deadletter import DeadLetter
from kubeopt_common.events.subjects import Subject, for_cluster
from kubeopt_common.queries.subjects import QuerySubject
from kubeopt_common.settings import NatsSettings
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_common.telemetry.metrics import BusMetrics

log = get_logger(__name__)

MAX_DELIVERIES_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"


class BusNotStartedError(RuntimeError):
    pass


@dataclass(frozen=True)
class _Binding:
    subject_filter: str
    stream: str
    runner: ConsumerRunner[Any]


def _catch_every_fetch_timeout() -> None:
    """Work around a FastStream 0.7.8 / nats-py 2.16 mismatch in the pull-consumer loop.

    FastStream's ``_consume_pull`` catches ``nats.errors.TimeoutError`` around ``fetch``, but
    nats-py raises the builtin ``TimeoutError`` when a fetch deadline runs out between its two
    pull requests. The exception then escapes, kills the consume task and the consumer stalls
    (seen here in 4 of 12 runs of tests/costing/test_app.py). ``nats.errors.TimeoutError``
    subclasses the builtin, so catching the builtin covers both.
    """
    from faststream.nats.subscriber.usecases import stream_pull_subscriber

    stream_pull_subscriber.TimeoutError = TimeoutError  # type: ignore[attr-defined, assignment]


def make_broker(settings: NatsSettings, *, service: str, registry: CollectorRegistry) -> NatsBroker:
    """A NatsBroker that reconnects forever and exports FastStream's Prometheus metrics."""
    security = (
        SASLPlaintext(
            username=settings.user,
            password=settings.password.get_secret_value() if settings.password else "",
        )
        if settings.user
        else None
    )
    _catch_every_fetch_timeout()
    return NatsBroker(
        settings.url,
        security=security,
        name=f"kubeopt-{service}",
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
        graceful_timeout=15.0,
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,
        middlewares=[NatsPrometheusMiddleware(registry=registry, app_name=f"kubeopt_{service}")],
    )


async def _skip_decoding(message: StreamMessage[Any]) -> None:  # noqa: ARG001 - FastStream calls it with the message
    return None


class Bus:
    """Owns one connection: streams declared, consumers reconciled, then subscribers started."""

    def __init__(
        self, settings: NatsSettings, *, service: str, registry: CollectorRegistry
    ) -> None:
        self.settings = settings
        self.service = service
        self.broker = make_broker(settings, service=service, registry=registry)
        self.metrics = BusMetrics.create(registry)
        self._bindings: list[_Binding] = []
        self._query_servers: list[QueryServer[Any, Any]] = []
        self._publisher: EventPublisher | None = None

    @property
    def publisher(self) -> EventPublisher:
        if self._publisher is None:
            msg = "the bus is not started"
            raise BusNotStartedError(msg)
        return self._publisher

    def consume(
        self,
        subject: Subject,
        model: type[E],
        handler: BatchHandler[E],
        policy: ConsumerPolicy,
        *,
        cluster: str | None = None,
        salvage: Salvage[E] | None = None,
    ) -> ConsumerRunner[E]:
        """Register a durable pull consumer of ``subject`` (all clusters unless ``cluster``)."""
        runner = ConsumerRunner(
            service=self.service,
            subject=subject,
            model=model,
            policy=policy,
            handler=handler,
            dead_letters=self._publish_dead_letter,
            metrics=self.metrics,
            salvage=salvage,
        )
        # for_cluster validates the name: "a.b" or "*" would silently widen the filter.
        subject_filter = for_cluster(subject, cluster) if cluster else subject.all_clusters
        stream = stream_for(subject)
        sub = self.broker.subscriber(
            subject_filter,
            stream=JStream(stream.name, declare=False),
            durable=policy.durable,
            config=policy.consumer_config(subject_filter),
            pull_sub=PullSub(
                batch_size=policy.batch_size, timeout=policy.fetch_timeout_s, batch=True
            ),
            ack_policy=AckPolicy.MANUAL,
            # The runner validates raw bytes with the event model; FastStream's own JSON decode
            # of every body would be thrown away (it was ~15 % of costing's CPU).
            decoder=_skip_decoding,
            title=f"{self.service}:{policy.durable}",
            description=f"{model.__name__} events consumed by {self.service}",
        )

        async def on_batch(message: NatsMessage) -> None:
            raw = message.raw_message
            await runner.submit(raw if isinstance(raw, list) else [raw])

        sub(on_batch)
        self._bindings.append(_Binding(subject_filter, stream.name, runner))
        return runner

    def serve(
        self,
        subject: QuerySubject,
        request_model: type[Req],
        reply_model: type[Rep],
        handler: Callable[[Req], Awaitable[Rep]],
    ) -> None:
        """Answer ``subject`` queries (queue group = this service, so replicas share them)."""
        self._query_servers.append(QueryServer(subject, request_model, reply_model, handler))

    async def start(self) -> None:
        nc = await self.broker.connect()
        js = nc.jetstream()
        if self.settings.declare_streams:
            await ensure_streams(js, replicas=self.settings.stream_replicas)
        for binding in self._bindings:
            # add_consumer updates the editable settings of an existing durable; without it a
            # changed max_deliver or ack_wait would be silently ignored on restart.
            config = binding.runner.policy.consumer_config(binding.subject_filter)
            await js.add_consumer(binding.stream, config)
            await nc.subscribe(
                f"{MAX_DELIVERIES_ADVISORY}.{binding.stream}.{binding.runner.policy.durable}",
                cb=self._on_max_deliveries_for(binding),
            )
        self._publisher = EventPublisher(nc)
        for server in self._query_servers:
            await server.subscribe(nc, queue=self.service)
        await self.broker.start()
        log.info(
            "bus.started",
            url=self.settings.url,
            consumers=[b.runner.policy.durable for b in self._bindings],
        )

    def _on_max_deliveries_for(self, binding: _Binding) -> Callable[[Msg], Awaitable[None]]:
        """Dead-letter a message the server stopped redelivering (e.g. after crash loops)."""

        async def on_advisory(advisory: Msg) -> None:
            seq = int(orjson.loads(advisory.data).get("stream_seq", 0))
            try:
                stored = await self.broker.connection.jetstream().get_msg(binding.stream, seq)
            except NotFoundError:
                return
            await binding.runner.dead_letter_payload(
                subject=stored.subject or "",
                data=stored.data or b"",
                headers=dict(stored.headers or {}),
                stream_sequence=seq,
                num_delivered=binding.runner.policy.max_deliver,
                reason="max_deliver exceeded without a handled outcome",
            )

        return on_advisory

    async def _publish_dead_letter(self, subject: str, record: DeadLetter, msg_id: str) -> None:
        await self.publisher.publish_raw(subject, record.model_dump_json().encode(), msg_id=msg_id)

    async def ping(self) -> bool:
        return await self.broker.ping(timeout=2.0)

    async def stop(self) -> None:
        # Stop fetching, let the batches still in their handlers finish and ack, disconnect.
        for subscriber in self.broker.subscribers:
            await subscriber.stop()
        for binding in self._bindings:
            await binding.runner.drain()
        await self.broker.stop()
        self._publisher = None

    @property
    def consumers(self) -> Sequence[ConsumerRunner[Any]]:
        return [b.runner for b in self._bindings]
