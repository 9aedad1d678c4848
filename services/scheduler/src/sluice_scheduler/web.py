"""``/healthz``, ``/readyz`` and ``/metrics`` of the scheduler (aiohttp)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sluice_scheduler.service import Scheduler


def create_web_app(scheduler: Scheduler) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        ok = scheduler.healthy()
        return web.json_response({"status": "ok" if ok else "stuck"}, status=200 if ok else 503)

    async def readyz(request: web.Request) -> web.Response:
        ready = await scheduler.ready()
        return web.json_response({"ready": ready}, status=200 if ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        body = generate_latest(scheduler.metrics.registry)
        return web.Response(body=body, content_type=CONTENT_TYPE_LATEST.split(";")[0])

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
