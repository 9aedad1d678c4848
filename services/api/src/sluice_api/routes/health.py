"""``/healthz`` (the process answers), ``/readyz`` (the database answers), ``/metrics``."""

from __future__ import annotations

import asyncio

import asyncpg
from fastapi import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sluice_http import Problem, ProblemError, sluice_router

from sluice_api.deps import ContextDep
from sluice_api.schemas.common import WireModel

router = sluice_router(tags=["health"])
# A probe must answer well inside a Kubernetes probe timeout (1 s default).
READY_TIMEOUT_S = 0.8


class Health(WireModel):
    status: str


@router.get("/healthz", summary="Liveness")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz", summary="Readiness: the database pool answers",
    responses={503: {"model": Problem, "description": "not ready"}},
)  # fmt: skip
async def readyz(ctx: ContextDep) -> Health:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S), ctx.tx() as conn:
            await conn.fetchval("SELECT 1")
    except (
        OSError,
        TimeoutError,
        RuntimeError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
    ) as exc:
        raise ProblemError(503, "NOT_READY", f"the database does not answer: {exc}") from exc
    return Health(status="ready")


@router.get(
    "/metrics", summary="Prometheus metrics", response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)  # fmt: skip
async def metrics(ctx: ContextDep) -> Response:
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
