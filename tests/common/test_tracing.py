"""Trace context crosses the bus: the consumer's span continues the producer's trace."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from kubeopt_common.events import SpendUpdated, Subject
from kubeopt_common.settings import TelemetrySettings
from kubeopt_common.telemetry.tracing import configure_tracing, extract_context, inject_headers
from tests.builders import make_spend_updated
from tests.common.bus_harness import Recorder, eventually, fast_policy
from tests.common.conftest import BusFactory


def _named(exporter: InMemorySpanExporter, prefix: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith(prefix)]


async def test_consumer_span_is_a_child_of_the_producer_span(
    spans: InMemorySpanExporter, bus_factory: BusFactory, unique: str
) -> None:
    cluster = f"c-{unique}"
    bus = bus_factory(f"svc-{unique}")
    recorder: Recorder[SpendUpdated] = Recorder()
    policy = fast_policy(f"d-{unique}")
    bus.consume(Subject.SPEND_UPDATED, SpendUpdated, recorder, policy, cluster=cluster)
    await bus.start()

    await bus.publisher.publish(make_spend_updated(cluster=cluster))

    process_name = f"process {Subject.SPEND_UPDATED.value}"
    await eventually(lambda: bool(_named(spans, process_name)), "the consumer span")
    [producer] = _named(spans, f"publish {Subject.SPEND_UPDATED.value}")
    [consumer] = _named(spans, process_name)
    assert producer.kind is SpanKind.PRODUCER
    assert consumer.kind is SpanKind.CONSUMER
    assert producer.context is not None
    assert consumer.context is not None
    assert consumer.context.trace_id == producer.context.trace_id
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.attributes is not None
    assert consumer.attributes["messaging.consumer.group.name"] == policy.durable


def test_headers_round_trip_the_current_context(spans: InMemorySpanExporter) -> None:
    with trace.get_tracer("test").start_as_current_span("outer") as outer:
        headers = dict(inject_headers({}))
    assert "traceparent" in headers
    restored = trace.get_current_span(extract_context(headers)).get_span_context()
    assert restored.trace_id == outer.get_span_context().trace_id
    assert not trace.get_current_span(extract_context(None)).get_span_context().is_valid


def test_configure_tracing_installs_the_global_provider(reset_tracer_provider: None) -> None:
    exporter = InMemorySpanExporter()
    provider = configure_tracing(
        TelemetrySettings(), service="svc", extra_processor=SimpleSpanProcessor(exporter)
    )
    try:
        with trace.get_tracer("test").start_as_current_span("work"):
            pass
        [span] = exporter.get_finished_spans()
        assert span.resource.attributes["service.name"] == "kubeopt-svc"
    finally:
        provider.shutdown()
