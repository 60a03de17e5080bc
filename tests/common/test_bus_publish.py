"""EventPublisher: deterministic Nats-Msg-Id dedupe and pipelined batches, on a real server."""

from __future__ import annotations

from nats.aio.client import Client
from nats.js import JetStreamContext

from kubeopt_common.bus import EventPublisher
from kubeopt_common.bus.publish import MSG_ID_HEADER
from kubeopt_common.bus.streams import ensure_streams
from kubeopt_common.events import SpendUpdated, Subject, event_id_for
from tests.builders import T0, make_spend_updated, make_usage_sampled
from tests.common.bus_harness import stored_count


async def test_the_same_event_published_twice_is_stored_once(
    nc: Client, js: JetStreamContext, unique: str
) -> None:
    await ensure_streams(js)
    publisher = EventPublisher(nc)
    cluster = f"c-{unique}"
    event = make_spend_updated(cluster=cluster, event_id=event_id_for("spend", cluster, T0))
    # A retry after a crash rebuilds the event from the same natural key: same id, new object.
    retried = make_spend_updated(cluster=cluster, event_id=event_id_for("spend", cluster, T0))

    first = await publisher.publish(event)
    second = await publisher.publish(retried)

    assert not first.duplicate
    assert second.duplicate
    assert second.seq == first.seq
    assert await stored_count(js, Subject.SPEND_UPDATED, event.subject) == 1


async def test_published_message_carries_the_msg_id_and_the_event(
    nc: Client, js: JetStreamContext, unique: str
) -> None:
    await ensure_streams(js)
    event = make_spend_updated(cluster=f"c-{unique}")

    ack = await EventPublisher(nc).publish(event)

    stored = await js.get_msg(ack.stream, ack.seq)
    assert stored.subject == event.subject
    assert (stored.headers or {})[MSG_ID_HEADER] == str(event.event_id)
    assert SpendUpdated.model_validate_json(stored.data or b"") == event


async def test_publish_many_returns_an_ack_for_every_event(
    nc: Client, js: JetStreamContext, unique: str
) -> None:
    await ensure_streams(js)
    cluster = f"c-{unique}"
    events = [make_usage_sampled(cluster=cluster, window_seconds=60 + i) for i in range(25)]

    acks = await EventPublisher(nc).publish_many(events)

    assert len(acks) == len(events)
    assert all(ack.stream == "KUBEOPT_USAGE" and not ack.duplicate for ack in acks)
    assert len({ack.seq for ack in acks}) == len(events)
    assert await stored_count(js, Subject.USAGE_SAMPLED, events[0].subject) == len(events)


async def test_publish_many_dedupes_repeats_inside_one_batch(
    nc: Client, js: JetStreamContext, unique: str
) -> None:
    await ensure_streams(js)
    event = make_spend_updated(cluster=f"c-{unique}")

    acks = await EventPublisher(nc).publish_many([event, event])

    assert [bool(ack.duplicate) for ack in acks] == [False, True]
    assert await stored_count(js, Subject.SPEND_UPDATED, event.subject) == 1


async def test_publish_many_of_nothing_publishes_nothing(nc: Client) -> None:
    assert await EventPublisher(nc).publish_many([]) == []
