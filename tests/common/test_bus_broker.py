"""The Bus: consumers reconciled at start-up, and messages the server gave up on dead-lettered."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from nats.js import JetStreamContext

from kubeopt_common.bus import Bus
from kubeopt_common.bus.broker import BusNotStartedError
from kubeopt_common.bus.consume import Delivery
from kubeopt_common.events import SpendUpdated, Subject
from tests.builders import make_spend_updated
from tests.common.bus_harness import Recorder, dead_letters, fast_policy
from tests.common.conftest import BusFactory


async def test_publisher_needs_a_started_bus(bus_factory: BusFactory, unique: str) -> None:
    bus = bus_factory(f"svc-{unique}")
    with pytest.raises(BusNotStartedError, match="not started"):
        _ = bus.publisher


async def test_start_updates_a_consumer_whose_policy_changed(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    durable, cluster = f"d-{unique}", f"c-{unique}"

    def deploy(*, max_deliver: int, ack_wait_s: float) -> Bus:
        bus = bus_factory(f"svc-{unique}")
        policy = fast_policy(durable, max_deliver=max_deliver, ack_wait_s=ack_wait_s)
        bus.consume(
            Subject.SPEND_UPDATED, SpendUpdated, Recorder[SpendUpdated](), policy, cluster=cluster
        )
        return bus

    old = deploy(max_deliver=3, ack_wait_s=1.0)
    await old.start()
    await old.stop()
    before = await js.consumer_info("KUBEOPT_SPEND", durable)
    assert (before.config.max_deliver, before.config.ack_wait) == (3, 1.0)

    await deploy(max_deliver=7, ack_wait_s=2.5).start()

    after = await js.consumer_info("KUBEOPT_SPEND", durable)
    assert (after.config.max_deliver, after.config.ack_wait) == (7, 2.5)
    assert after.config.filter_subject == f"{Subject.SPEND_UPDATED.value}.{cluster}"


async def test_a_message_that_exhausts_max_deliver_unhandled_is_dead_lettered(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    """A handler that never finishes (a hung write, a crash loop) leaves no outcome to act on.

    The server then gives up after ``max_deliver`` and emits its MAX_DELIVERIES advisory; the
    bus turns it into a dead letter. Two replicas share the durable: one hangs on the message,
    the other keeps pulling, which is when the server notices the exhausted message.
    """
    service, cluster, durable = f"svc-{unique}", f"c-{unique}", f"d-{unique}"
    release = asyncio.Event()
    hung: list[int] = []

    async def hang(deliveries: Sequence[Delivery[SpendUpdated]]) -> None:
        hung.extend(d.num_delivered for d in deliveries)
        await release.wait()

    policy = fast_policy(durable, max_deliver=1, ack_wait_s=0.5)
    for _ in range(2):
        replica = bus_factory(service)
        replica.consume(Subject.SPEND_UPDATED, SpendUpdated, hang, policy, cluster=cluster)
        await replica.start()
    event = make_spend_updated(cluster=cluster)
    ack = await replica.publisher.publish(event)

    try:
        [record] = await dead_letters(js, service, at_least=1)
    finally:
        release.set()
    assert record.reason == "max_deliver exceeded without a handled outcome"
    assert record.stream_sequence == ack.seq
    assert record.num_delivered == 1
    assert record.original_subject == event.subject
    assert SpendUpdated.model_validate_json(record.original_bytes()) == event
    assert record.headers["Nats-Msg-Id"] == event.msg_id
    assert len(hung) <= 1, "max_deliver=1: the handler may see the message at most once"


async def test_the_bus_reports_its_consumers_and_answers_pings(
    bus_factory: BusFactory, unique: str
) -> None:
    bus = bus_factory(f"svc-{unique}")
    runner = bus.consume(
        Subject.SPEND_UPDATED,
        SpendUpdated,
        Recorder[SpendUpdated](),
        fast_policy(f"d-{unique}"),
        cluster=f"c-{unique}",
    )
    await bus.start()
    assert list(bus.consumers) == [runner]
    assert await bus.ping()


@pytest.mark.parametrize("cluster", ["prod.eu", "*", ">"])
def test_consuming_one_cluster_needs_a_valid_cluster_name(
    bus_factory: BusFactory, unique: str, cluster: str
) -> None:
    bus = bus_factory(f"svc-{unique}")
    with pytest.raises(ValueError, match="not a valid subject token"):
        bus.consume(
            Subject.SPEND_UPDATED,
            SpendUpdated,
            Recorder[SpendUpdated](),
            fast_policy(f"d-{unique}"),
            cluster=cluster,
        )
