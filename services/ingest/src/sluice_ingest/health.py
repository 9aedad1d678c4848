"""``/healthz`` (process), ``/readyz`` (database), ``/metrics`` (Prometheus text)."""

from __future__ import annotations

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sluice_http import Problem, ProblemError, sluice_router
from sluice_storage import database_problem

router = sluice_router(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz", summary="Readiness: the database answers",
    responses={503: {"model": Problem, "description": "not ready"}},
)  # fmt: skip
async def readyz(request: Request) -> dict[str, str]:
    problem = await database_problem(request.app.state.context.pool)
    if problem is not None:
        raise ProblemError(503, "NOT_READY", problem)
    return {"status": "ready"}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    registry = request.app.state.context.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
