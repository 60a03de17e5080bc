"""OpenTelemetry tracing, with context carried across NATS in message headers (W3C traceparent)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from kubeopt_common.settings import TelemetrySettings


def configure_tracing(
    settings: TelemetrySettings, *, service: str, extra_processor: SpanProcessor | None = None
) -> TracerProvider:
    """Install a global tracer provider with the exporter chosen in settings."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"kubeopt-{service}"}),
        sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
    )
    if settings.traces == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    elif settings.traces == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(settings.otlp_endpoint)))
    if extra_processor is not None:
        provider.add_span_processor(extra_processor)
    trace.set_tracer_provider(provider)
    return provider


def inject_headers(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Write the current trace context into NATS headers."""
    propagate.inject(headers)
    return headers


def extract_context(headers: Mapping[str, str] | None) -> Context:
    """The trace context a publisher left in NATS headers (empty context if none)."""
    return propagate.extract(dict(headers or {}))


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)
