"""The consumer discipline on a real nats-server: ack, nak, redeliver, dead-letter, keep going."""

from __future__ import annotations

from typing import Any

from nats.js import JetStreamContext

from kubeopt_common.bus import Bus, PermanentError
from kubeopt_common.bus.consume import ConsumerRunner
from kubeopt_common.bus.streams import ensure_streams
from kubeopt_common.events import SpendUpdated, Subject, for_cluster
from tests.builders import make_spend_updated
from tests.common.bus_harness import (
    Recorder,
    dead_letters,
    eventually,
    fast_policy,
    nothing_pending,
)
from tests.common.conftest import BusFactory


def _consume(
    bus: Bus, handler: Recorder[SpendUpdated], unique: str, **policy: Any
) -> ConsumerRunner[SpendUpdated]:
    """Consume spend events of this test's cluster only (the stream is shared by the session)."""
    return bus.consume(
        Subject.SPEND_UPDATED,
        SpendUpdated,
        handler,
        fast_policy(f"d-{unique}", **policy),
        cluster=f"c-{unique}",
    )


async def test_a_healthy_event_is_handled_and_acked(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    bus = bus_factory(f"svc-{unique}")
    recorder: Recorder[SpendUpdated] = Recorder()
    _consume(bus, recorder, unique)
    await bus.start()
    event = make_spend_updated(cluster=f"c-{unique}")

    await bus.publisher.publish(event)

    await eventually(lambda: len(recorder.handled) == 1, "the event to be handled")
    delivery = recorder.handled[0]
    assert delivery.event == event
    assert delivery.subject == event.subject
    assert delivery.stream_sequence > 0

    await eventually(
        nothing_pending(js, Subject.SPEND_UPDATED, f"d-{unique}"), "the event to be acked"
    )


async def test_malformed_json_is_dead_lettered_and_the_consumer_keeps_going(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    service, cluster = f"svc-{unique}", f"c-{unique}"
    bus = bus_factory(service)
    recorder: Recorder[SpendUpdated] = Recorder()
    _consume(bus, recorder, unique)
    await bus.start()
    subject = for_cluster(Subject.SPEND_UPDATED, cluster)

    await js.publish(subject, b"{not json", headers={"Nats-Msg-Id": f"bad-{unique}"})
    healthy = make_spend_updated(cluster=cluster)
    await bus.publisher.publish(healthy)

    [record] = await dead_letters(js, service, at_least=1)
    assert record.reason.startswith("invalid SpendUpdated: ")
    assert "Invalid JSON" in record.reason
    assert record.original_bytes() == b"{not json"
    assert record.original_subject == subject
    assert record.service == service
    assert record.headers["Nats-Msg-Id"] == f"bad-{unique}"
    await eventually(lambda: [d.event for d in recorder.handled] == [healthy], "healthy event")


async def test_schema_invalid_event_is_dead_lettered_naming_the_field(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    service = f"svc-{unique}"
    bus = bus_factory(service)
    _consume(bus, Recorder(), unique)
    await bus.start()
    event = make_spend_updated(cluster=f"c-{unique}")
    payload = event.model_dump_json().replace('"cost_nano_usd":1250000000', '"cost_nano_usd":-1')
    assert payload != event.model_dump_json()

    await js.publish(event.subject, payload.encode())

    [record] = await dead_letters(js, service, at_least=1)
    assert "cost_nano_usd" in record.reason
    assert "greater than or equal to 0" in record.reason
    assert record.original_bytes() == payload.encode()


async def test_a_failing_handler_is_retried_then_dead_lettered_after_max_deliver(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    service = f"svc-{unique}"
    bus = bus_factory(service)
    recorder: Recorder[SpendUpdated] = Recorder(fail=lambda _: RuntimeError("database down"))
    _consume(bus, recorder, unique, max_deliver=3)
    await bus.start()
    event = make_spend_updated(cluster=f"c-{unique}")

    await bus.publisher.publish(event)

    [record] = await dead_letters(js, service, at_least=1)
    attempts = recorder.attempts(lambda _: True)
    # At-least-once: a delivery can be lost to a client-side fetch timeout and come back later,
    # so the exact list may skip a number; it always retries and ends on the last delivery.
    assert len(attempts) >= 2
    assert attempts == sorted(set(attempts))
    assert attempts[-1] == 3
    assert record.reason == "failed 3 times: RuntimeError: database down"
    assert record.num_delivered == 3
    assert SpendUpdated.model_validate_json(record.original_bytes()) == event
    assert recorder.handled == []


async def test_a_permanent_error_is_dead_lettered_at_once(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    service = f"svc-{unique}"
    bus = bus_factory(service)
    recorder: Recorder[SpendUpdated] = Recorder(fail=lambda _: PermanentError("unknown budget"))
    _consume(bus, recorder, unique, max_deliver=5)
    await bus.start()

    await bus.publisher.publish(make_spend_updated(cluster=f"c-{unique}"))

    [record] = await dead_letters(js, service, at_least=1)
    assert record.reason == "rejected: PermanentError: unknown budget"
    # Not retried: the handler saw the message once, on the delivery that was dead-lettered.
    assert recorder.attempts(lambda _: True) == [record.num_delivered]


async def test_one_poison_message_does_not_drag_its_batch_into_the_dead_letters(
    bus_factory: BusFactory, js: JetStreamContext, unique: str
) -> None:
    service, cluster = f"svc-{unique}", f"c-{unique}"
    bus = bus_factory(service)
    recorder: Recorder[SpendUpdated] = Recorder(
        fail=lambda d: PermanentError("poison") if d.event.namespace == "poison" else None
    )
    _consume(bus, recorder, unique)
    events = [make_spend_updated(cluster=cluster, namespace=ns) for ns in ("a", "poison", "b")]
    # Stored before the consumer starts, so its first fetch returns all three as one batch.
    await ensure_streams(js)
    for event in events:
        await js.publish(event.subject, event.model_dump_json().encode())
    await bus.start()

    [record] = await dead_letters(js, service, at_least=1)
    assert record.reason == "rejected: PermanentError: poison"
    assert SpendUpdated.model_validate_json(record.original_bytes()) == events[1]
    await eventually(lambda: len(recorder.handled) == 2, "the two healthy events")
    assert [d.event for d in recorder.handled] == [events[0], events[2]]
    assert [len(call) for call in recorder.calls] == [3, 1, 1, 1]

    await eventually(
        nothing_pending(js, Subject.SPEND_UPDATED, f"d-{unique}"), "the whole batch to be acked"
    )
    assert len(await dead_letters(js, service, at_least=1)) == 1
