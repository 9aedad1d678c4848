"""Prometheus metrics, one registry per app (several apps in one test process
must not collide in the global registry)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from sluice_engine.run_metrics import BoundedPairs

Next = Callable[[Request], Awaitable[Response]]


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sluice_api_requests_total",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "sluice_api_rate_limited_total",
            "Requests refused with 429 because the tenant was over its rate",
            ["tenant"],
            registry=self.registry,
        )
        self._tenants = BoundedPairs()
        self.latency = Histogram(
            "sluice_api_request_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            registry=self.registry,
        )

    def count_rate_limited(self, tenant_id: str) -> None:
        tenant, _ = self._tenants(tenant_id, "")  # the first 200 tenants by name, then _other
        self.rate_limited.labels(tenant).inc()

    async def middleware(self, request: Request, call_next: Next) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # The route template, not the raw path: ids would explode label cardinality.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        self.requests.labels(request.method, route, str(response.status_code)).inc()
        self.latency.labels(request.method, route).observe(time.perf_counter() - started)
        return response
