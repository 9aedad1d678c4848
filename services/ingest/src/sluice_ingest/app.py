"""The ingest HTTP app, built in a factory: nothing is created at import time.

Routes: ``POST /emails`` (``emails``), ``POST /events`` (``events_route``),
health and metrics (``health``). The pool opens and closes with the app's
lifespan; the SMTP listener (``smtp``) shares the same context when both run
in one process (``python -m sluice_ingest``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sluice_config import Settings
from sluice_config.clock import Clock, utc_now
from sluice_http import install_problem_handlers
from sluice_http.openapi import install_openapi
from sluice_http.tracing import trace_requests
from sluice_messaging.topics import Topics
from sluice_storage import create_pool

from sluice_ingest import emails, events_route, health, hooks
from sluice_ingest.context import IngestContext
from sluice_ingest.metrics import IngestMetrics

ROUTERS = (emails.router, events_route.router, hooks.router, health.router)


def build_context(settings: Settings, clock: Clock = utc_now) -> IngestContext:
    topics = Topics.from_prefix(settings.topic_prefix)
    return IngestContext(settings=settings, clock=clock, topics=topics, metrics=IngestMetrics())


def create_app(settings: Settings, *, context: IngestContext | None = None) -> FastAPI:
    """The app; with ``context`` given its owner opens the pool (the SMTP listener shares it)."""
    ctx = context or build_context(settings)
    owns_pool = context is None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if owns_pool:
            ctx.pool = await create_pool(settings, lean_release=True)
        try:
            yield
        finally:
            if owns_pool and ctx.pool is not None:
                pool, ctx.pool = ctx.pool, None
                await pool.close()

    app = FastAPI(
        title="Sluice ingest", version="1", lifespan=lifespan,
    )  # fmt: skip
    app.state.context = ctx
    install_problem_handlers(app)
    install_openapi(app)
    app.middleware("http")(trace_requests)
    for router in ROUTERS:
        app.include_router(router)
    return app
