"""A server span per HTTP request (API and ingest), under the caller's ``traceparent``
when it sends one. The span is current while the route runs, so the run starts,
controls and events it writes carry its context into Kafka (``sluice_engine.messages``)
and its log records carry its trace id. No-op unless tracing is configured
(``sluice_telemetry.traces``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from opentelemetry.trace import SpanKind, Status, StatusCode
from sluice_telemetry import headers_of, work_span

Next = Callable[[Request], Awaitable[Response]]


async def trace_requests(request: Request, call_next: Next) -> Response:
    method = request.method
    with work_span(f"{method}", parent=headers_of(request.headers), kind=SpanKind.SERVER,
                   attributes={"http.request.method": method}) as span:  # fmt: skip
        response = await call_next(request)
        # The route template, not the path: ids in span names defeat grouping.
        route = getattr(request.scope.get("route"), "path", None)
        if route is not None:
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 500:
            span.set_status(Status(StatusCode.ERROR))
        return response
