"""Batches in flight (``ConsumerPolicy.in_flight``) on a real nats-server: the next batch is
handled while an earlier one is still in its handler, each is acked only after its own handler
returned, and stopping the bus lets the batches in their handlers finish and ack."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from nats.js import JetStreamContext

from kubeopt_common.bus import ConsumerPolicy, Delivery
from kubeopt_common.bus.streams import stream_for
from kubeopt_common.events import SpendUpdated, Subject
from tests.builders import make_spend_updated
from tests.common.bus_harness import eventually, fast_policy, nothing_pending
from tests.common.conftest import BusFactory


class Gate:
    """A handler that holds the batch carrying namespace ``held`` until released."""

    def __init__(self, held: str) -> None:
        self.held = held
        self.release = asyncio.Event()
        self.entered: list[str] = []
        self.finished: list[str] = []

    async def __call__(self, deliveries: Sequence[Delivery[SpendUpdated]]) -> None:
        names = [d.event.namespace for d in deliveries]
        self.entered.extend(names)
        if self.held in names:
            await self.release.wait()
        self.finished.extend(names)


async def _ack_pending(js: JetStreamContext, durable: str) -> int:
    info = await js.consumer_info(stream_for(Subject.SPEND_UPDATED).name, durable)
    return int(info.num_ack_pending)


async def test_a_later_batch_is_handled_while_an_earlier_one_waits_and_acks_are_per_batch(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    bus = bus_factory(f"svc-{unique}")
    gate = Gate("slow")
    durable = f"d-{unique}"
    policy = fast_policy(durable, batch_size=1, in_flight=2, ack_wait_s=30.0)
    bus.consume(Subject.SPEND_UPDATED, SpendUpdated, gate, policy, cluster=f"c-{unique}")
    await bus.start()
    await bus.publisher.publish(make_spend_updated(cluster=f"c-{unique}", namespace="slow"))
    await eventually(lambda: gate.entered == ["slow"], "the first batch to enter its handler")
    await bus.publisher.publish(make_spend_updated(cluster=f"c-{unique}", namespace="fast"))

    await eventually(lambda: gate.finished == ["fast"], "the second batch to pass the first")

    async def only_the_held_one_unacked() -> bool:
        return await _ack_pending(js, durable) == 1

    await eventually(only_the_held_one_unacked, "the second batch's ack")
    await asyncio.sleep(0.1)
    assert await _ack_pending(js, durable) == 1  # "slow" is not acked while in its handler
    gate.release.set()
    await eventually(lambda: gate.finished == ["fast", "slow"], "the first batch to finish")
    await eventually(nothing_pending(js, Subject.SPEND_UPDATED, durable), "both to be acked")


async def test_stopping_the_bus_lets_batches_in_their_handlers_finish_and_ack(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    bus = bus_factory(f"svc-{unique}")
    gate = Gate("slow")
    durable = f"d-{unique}"
    policy = fast_policy(durable, batch_size=1, in_flight=2, ack_wait_s=30.0)
    bus.consume(Subject.SPEND_UPDATED, SpendUpdated, gate, policy, cluster=f"c-{unique}")
    await bus.start()
    await bus.publisher.publish(make_spend_updated(cluster=f"c-{unique}", namespace="slow"))
    await eventually(lambda: gate.entered == ["slow"], "the batch to enter its handler")

    stopping = asyncio.create_task(bus.stop())
    await asyncio.sleep(0.2)
    assert not stopping.done()  # stop waits for the handler
    gate.release.set()
    await asyncio.wait_for(stopping, timeout=10)
    assert gate.finished == ["slow"]
    await eventually(nothing_pending(js, Subject.SPEND_UPDATED, durable), "the batch's ack")


def test_in_flight_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="in_flight must be >= 1"):
        ConsumerPolicy(durable="x", in_flight=0)
