"""Publishing raw messages and waiting for a durable consumer, on the real nats-server.

Used by the budgets, notifier and recommender tests.
"""

from __future__ import annotations

import asyncio

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg

from kubeopt_common.bus.streams import stream_for
from kubeopt_common.events import DeadLetter, Event, Subject

# Generous bound for what normally takes well under a second.
WAIT_S = 30.0


async def publish_raw(nc: Client, subject: str, payload: bytes, *, msg_id: str) -> int:
    """Publish ``payload`` with its own ``Nats-Msg-Id``; returns the stream sequence."""
    ack = await nc.jetstream().publish(subject, payload, headers={"Nats-Msg-Id": msg_id})
    assert not ack.duplicate, f"JetStream deduplicated {msg_id}"
    return ack.seq


async def publish_event(nc: Client, event: Event, *, msg_id: str | None = None) -> int:
    payload = event.model_dump_json().encode()
    return await publish_raw(nc, event.subject, payload, msg_id=msg_id or event.msg_id)


async def wait_until_acked(nc: Client, *, subject: Subject, durable: str, stream_seq: int) -> None:
    """Poll until ``durable`` acked everything up to ``stream_seq``; fail naming what is left.

    The bound only turns a stall into a readable failure; nothing is asserted about speed.
    """
    js = nc.jetstream()
    stream = stream_for(subject).name
    state = "no consumer info yet"
    try:
        async with asyncio.timeout(WAIT_S):
            while True:
                info = await js.consumer_info(stream, durable)
                if (info.ack_floor.stream_seq or 0) >= stream_seq:
                    return
                state = (
                    f"ack floor {info.ack_floor.stream_seq}, {info.num_ack_pending} awaiting "
                    f"ack, {info.num_redelivered} redelivered"
                )
                await asyncio.sleep(0.05)
    except TimeoutError:
        msg = f"{durable} did not ack up to stream sequence {stream_seq}: {state}"
        raise AssertionError(msg) from None


class DeadLetterInbox:
    """Collects dead letters published on one subject, for one original subject."""

    def __init__(self, original_subject: str) -> None:
        self.original_subject = original_subject
        self.records: list[DeadLetter] = []
        self._arrived = asyncio.Event()

    async def on_message(self, msg: Msg) -> None:
        record = DeadLetter.model_validate(orjson.loads(msg.data))
        if record.original_subject == self.original_subject:
            self.records.append(record)
            self._arrived.set()

    async def first(self) -> DeadLetter:
        try:
            async with asyncio.timeout(WAIT_S):
                await self._arrived.wait()
        except TimeoutError:
            msg = f"no dead letter arrived for {self.original_subject}"
            raise AssertionError(msg) from None
        return self.records[0]
