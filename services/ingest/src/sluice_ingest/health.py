"""``/healthz`` (process), ``/readyz`` (database), ``/metrics`` (Prometheus text)."""

from __future__ import annotations

import asyncio

import asyncpg
from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sluice_http import Problem, ProblemError, sluice_router

router = sluice_router(tags=["health"])
# A probe must answer well inside a Kubernetes probe timeout (1 s default).
READY_TIMEOUT_S = 0.8


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz", summary="Readiness: the database answers",
    responses={503: {"model": Problem, "description": "not ready"}},
)  # fmt: skip
async def readyz(request: Request) -> dict[str, str]:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S), request.app.state.context.tx() as conn:
            await conn.fetchval("SELECT 1")
    except (OSError, TimeoutError, RuntimeError, asyncpg.PostgresError) as exc:
        raise ProblemError(503, "NOT_READY", f"the database does not answer: {exc}") from exc
    return {"status": "ready"}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    registry = request.app.state.context.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
