"""Optional OpenTelemetry traces: one trace per request, across API -> Kafka ->
interpreter -> executor.

Off unless configured: ``WF_OTEL_ENDPOINT`` (an OTLP/HTTP collector's base URL,
``http://collector:4318``; spans go to ``<it>/v1/traces``) or the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``. Then
``configure_tracing`` installs an SDK tracer provider (service name
``sluice-<service>``, parent-based sampling at ``WF_OTEL_SAMPLE_RATIO``, a batch
exporter that the SDK's ``OTEL_BSP_*`` variables tune). Off, the API's no-op tracer
costs a context switch per span and nothing is exported; an incoming
``traceparent`` still flows on (the no-op span carries its parent), so logs show
the caller's trace id.

The context crosses Kafka as a W3C ``traceparent`` (and ``tracestate``) header:
``trace_headers()`` gives the current span's, which the engine stores with each
outbox row it writes (the relay publishes row headers as record headers);
consumers read them back with ``headers_of`` and open their span under them with
``work_span``. Spans: ``HTTP <method> <route>`` per API request, ``apply <Command>``
per command applied, ``route event`` per event, ``action <actionId>`` per action
executed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sluice_config import Settings

from sluice_telemetry.logs import log_context

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

PROPAGATOR = TraceContextTextMapPropagator()
TRACE_HEADERS = ("traceparent", "tracestate")
STANDARD_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
# Whether this process exports spans (configure_tracing). Off, a span with no trace
# context to continue is skipped altogether: the no-op tracer's span, attach and detach
# cost more than the work of a small command.
_exporting = [False]


def tracing_configured(settings: Settings) -> bool:
    return bool(settings.otel_endpoint) or any(os.environ.get(n) for n in STANDARD_ENDPOINTS)


def configure_tracing(settings: Settings, service: str) -> TracerProvider | None:
    """Install the exporting tracer provider when an endpoint is configured, else None.
    The provider flushes its last spans at interpreter exit (the SDK's atexit hook)."""
    if not tracing_configured(settings):
        return None
    # The SDK and exporter only where traces are exported: importing them costs every
    # process ~0.1 s on an idle machine (1.5 s measured under load), for nothing when off.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    endpoint = settings.otel_endpoint
    exporter = OTLPSpanExporter(
        endpoint=f"{endpoint.rstrip('/')}/v1/traces" if endpoint else None
    )  # None: the exporter reads the standard variables itself
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"sluice-{service}"}),
        sampler=ParentBased(TraceIdRatioBased(settings.otel_sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _exporting[0] = True
    return provider


def tracer() -> trace.Tracer:
    return trace.get_tracer("sluice")


def trace_headers() -> dict[str, str]:
    """The current span as W3C headers (empty when there is no valid span)."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier


def headers_of(raw: Iterable[tuple[str, bytes | str]] | Mapping[str, Any] | None) -> dict[str, str]:
    """The trace headers among a Kafka record's headers (a list of pairs, or a mapping)."""
    pairs = raw.items() if isinstance(raw, Mapping) else (raw or ())
    found: dict[str, str] = {}
    for name, value in pairs:
        if name in TRACE_HEADERS and value is not None:
            found[name] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return found


@contextlib.contextmanager
def work_span(
    name: str,
    *,
    parent: Mapping[str, str] | None = None,
    tenant: str | None = None,
    run_id: str | None = None,
    step_path: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[Span]:
    """A span (under ``parent``'s ``traceparent`` when it has one, else under the current
    span) whose records log with this tenant, run and step."""
    continued = bool(parent and "traceparent" in parent)
    if not (_exporting[0] or continued or trace.get_current_span().get_span_context().is_valid):
        with log_context(tenant, run_id, step_path):
            yield trace.INVALID_SPAN
        return
    context = PROPAGATOR.extract(parent) if parent and continued else None
    attrs: dict[str, str | int] = dict(attributes or {})
    for key, value in (("sluice.tenant", tenant), ("sluice.run_id", run_id),
                       ("sluice.step_path", step_path)):  # fmt: skip
        if value is not None:
            attrs[key] = value
    with (
        tracer().start_as_current_span(name, context=context, kind=kind, attributes=attrs) as span,
        log_context(tenant, run_id, step_path),
    ):
        yield span
