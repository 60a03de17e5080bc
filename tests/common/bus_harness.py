"""What the bus tests share: a recording handler, fast policies, dead-letter reading, waiting.

The nats-server is shared by the whole session, so every test names its own durable, service and
cluster (from the ``unique`` fixture) and reads only its own dead letters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from kubeopt_common.bus.consume import ConsumerPolicy, Delivery, E
from kubeopt_common.bus.streams import stream_for
from kubeopt_common.events import DeadLetter, Subject

# Generous upper bounds for something that normally takes milliseconds; never asserted on.
WAIT_S = 10.0


def fast_policy(durable: str, **overrides: Any) -> ConsumerPolicy:
    """Short ack wait and nak delays, so redelivery paths finish in well under a second."""
    fields: dict[str, Any] = {
        "durable": durable,
        "max_deliver": 3,
        "ack_wait_s": 2.0,
        "batch_size": 16,
        "fetch_timeout_s": 0.1,
        "nak_delays_s": (0.05,),
        **overrides,
    }
    return ConsumerPolicy(**fields)


Failure = Callable[[Delivery[Any]], BaseException | None]


class Recorder(Generic[E]):
    """A batch handler that records every call and raises what ``fail`` returns for a delivery."""

    def __init__(self, fail: Failure | None = None) -> None:
        self._fail = fail
        self.calls: list[list[Delivery[E]]] = []
        self.handled: list[Delivery[E]] = []

    async def __call__(self, deliveries: Sequence[Delivery[E]]) -> None:
        self.calls.append(list(deliveries))
        for delivery in deliveries:
            error = self._fail(delivery) if self._fail else None
            if error is not None:
                raise error
        self.handled.extend(deliveries)

    def attempts(self, predicate: Callable[[Delivery[E]], bool]) -> list[int]:
        """``num_delivered`` of every call that carried a matching delivery."""
        return [d.num_delivered for call in self.calls for d in call if predicate(d)]


async def eventually(
    condition: Callable[[], bool] | Callable[[], Awaitable[bool]], what: str
) -> None:
    """Wait until ``condition`` holds; fail naming ``what`` if it never does."""

    async def holds() -> bool:
        result = condition()
        return await result if isinstance(result, Awaitable) else result

    try:
        async with asyncio.timeout(WAIT_S):
            # Polling: the conditions are state of the server or of a recorder, not an event.
            while True:
                if await holds():
                    return
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"gave up waiting for {what}") from None


async def dead_letters(js: JetStreamContext, service: str, *, at_least: int) -> list[DeadLetter]:
    """Every dead letter ``service`` published so far, once at least ``at_least`` are stored."""
    subject = f"{Subject.DEAD_LETTER.value}.{service}.>"
    stream = stream_for(Subject.DEAD_LETTER).name
    records: list[DeadLetter] = []
    sub = await js.pull_subscribe(
        subject, stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    try:
        while True:
            try:
                msgs = await sub.fetch(64, timeout=0.2)
            except TimeoutError:  # nats-py raises its own or asyncio's, depending on the path
                if len(records) >= at_least:
                    return records
                if loop.time() > deadline:
                    found = f"expected {at_least} dead letters of {service}, found {len(records)}"
                    raise AssertionError(found) from None
                continue
            for msg in msgs:
                records.append(DeadLetter.model_validate_json(msg.data))
                await msg.ack()
    finally:
        await sub.unsubscribe()


async def stored_count(js: JetStreamContext, subject: Subject, concrete: str) -> int:
    """How many messages the stream of ``subject`` holds on the ``concrete`` subject."""
    info = await js.stream_info(stream_for(subject).name, subjects_filter=concrete)
    return (info.state.subjects or {}).get(concrete, 0)


def nothing_pending(
    js: JetStreamContext, subject: Subject, durable: str
) -> Callable[[], Awaitable[bool]]:
    """A condition: the durable has no message left to deliver or awaiting its ack."""

    async def check() -> bool:
        info = await js.consumer_info(stream_for(subject).name, durable)
        return bool(info.num_ack_pending == 0 and info.num_pending == 0)

    return check
