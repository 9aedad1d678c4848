"""The API app, built in a factory: nothing is created at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sluice_config import Settings
from sluice_config.clock import Clock, utc_now
from sluice_engine import ActionHandlers
from sluice_engine.run_metrics import RunMetrics
from sluice_http import install_problem_handlers, problem_response
from sluice_http.openapi import install_openapi
from sluice_http.tracing import trace_requests
from sluice_messaging.topics import Topics
from sluice_storage import create_pool, transaction
from sluice_storage.errors import InvalidCursorError
from sluice_storage.webhooks import seal_plaintext_hooks
from workflow_core.registry import Registry

from sluice_api.context import ApiContext
from sluice_api.docs_page import docs_router
from sluice_api.engine import build_plugins, engine_context, install_engine_handlers
from sluice_api.metrics import ApiMetrics
from sluice_api.operations import OperationWorker
from sluice_api.routes import (
    audit,
    auth,
    dead_letters,
    definition_schema,
    definitions,
    events,
    expressions,
    health,
    human_tasks,
    operations,
    retention,
    run_bulk,
    run_controls,
    run_history,
    run_updates,
    runs,
    schedules,
    secrets,
    shadow_runs,
    type_analysis,
    webhooks,
)
from sluice_api.routes import registry as registry_routes
from sluice_api.routes.helpdesk_all import HELPDESK_ROUTERS
from sluice_api.web_ui import ui_router

ROUTERS = (  # run_updates before runs, run_bulk before run_controls: not {runId}s
    definitions.router, run_updates.router, runs.router, run_history.router,
    run_bulk.router, run_controls.router, operations.router, registry_routes.router,
    expressions.router,
    type_analysis.router, events.router, human_tasks.router, dead_letters.router,
    audit.router, retention.router, auth.router, health.router, schedules.router,
    webhooks.router, secrets.router, definition_schema.router, shadow_runs.router,
)  # fmt: skip
log = logging.getLogger(__name__)
DESCRIPTION = """Definitions, runs, events, human tasks and dead letters of one tenant.

Authenticate with `Authorization: Bearer <token>` (`sluice tokens create`); each
operation's `security` names the least role it needs (roles nest: view < manage <
publish < admin). Errors are `application/problem+json`; lists are `{items,
nextCursor?}` and a cursor is opaque (a foreign one is 400 `INVALID_CURSOR`).

Input rules on every request (422 `VALIDATION_FAILED` naming the place otherwise):
JSON is UTF-8; text (strings, keys, query, path and header values) holds no U+0000
and no lone surrogate; numbers are finite; integers have at most 4300 digits (kept
exactly up to that); a body is at most 64 arrays/objects deep and 4 MiB (413)."""


async def _on_cursor(_: Request, exc: Exception) -> JSONResponse:
    return problem_response(400, "INVALID_CURSOR", str(exc))


async def seal_legacy_hooks(context: ApiContext) -> None:
    """Hooks made before WF_SECRETS_KEY was set keep a plain secret: seal them now."""
    sealer = context.webhook_sealer
    if sealer is not None and context.pool is not None:
        async with transaction(context.pool) as conn:
            sealed = await seal_plaintext_hooks(conn, sealer)
        if sealed:
            log.info("sealed %d webhook secrets stored in plain text", sealed)


def create_app(
    settings: Settings,
    *,
    registry: Registry | None = None,
    handlers: ActionHandlers | None = None,
    clock: Clock = utc_now,
) -> FastAPI:
    """The app for ``settings``; the pool opens and closes with the app's lifespan.

    ``registry`` defaults to the plugins' (``WF_PLUGINS``) with their ``handlers``;
    a registry given without handlers answers every action of a shadow run from
    its recording."""
    if registry is None:
        registry, handlers = build_plugins(settings)
    topics = Topics.from_prefix(settings.topic_prefix)
    metrics = ApiMetrics()
    context = ApiContext(
        settings=settings,
        registry=registry,
        clock=clock,
        metrics=metrics,
        topics=topics,
        handlers=handlers or ActionHandlers().freeze(),
        engine=engine_context(registry, topics, clock, RunMetrics(metrics.registry)),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        context.pool = await create_pool(settings, lean_release=True)
        await seal_legacy_hooks(context)
        stop = asyncio.Event()
        worker = asyncio.create_task(OperationWorker.create(context).run(stop))
        try:
            yield
        finally:
            stop.set()
            await worker
            await context.close()
            pool, context.pool = context.pool, None
            await pool.close()

    app = FastAPI(
        title="Sluice API", version="1", description=DESCRIPTION, lifespan=lifespan,
        docs_url=None, redoc_url=None,  # /docs is docs_page: Swagger UI from the package, no CDN
    )  # fmt: skip
    app.state.context = context
    install_problem_handlers(app, {InvalidCursorError: _on_cursor})
    install_openapi(app)
    install_engine_handlers(app)
    app.middleware("http")(context.metrics.middleware)
    app.middleware("http")(trace_requests)  # outermost: the span covers the whole request
    for router in ROUTERS + HELPDESK_ROUTERS:  # help desk: clients ... outbound mail
        app.include_router(router)
    app.include_router(docs_router())
    app.include_router(ui_router(settings.ui_dir))  # the web UI at /ui/, / redirects there
    return app
