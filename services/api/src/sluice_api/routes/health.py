"""``/healthz`` (the process answers), ``/readyz`` (the database answers), ``/metrics``."""

from __future__ import annotations

from fastapi import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sluice_http import Problem, ProblemError, sluice_router
from sluice_storage import database_problem

from sluice_api.deps import ContextDep
from sluice_api.schemas.common import WireModel

router = sluice_router(tags=["health"])


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
    problem = await database_problem(ctx.pool)
    if problem is not None:
        raise ProblemError(503, "NOT_READY", problem)
    return Health(status="ready")


@router.get(
    "/metrics", summary="Prometheus metrics", response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)  # fmt: skip
async def metrics(ctx: ContextDep) -> Response:
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
