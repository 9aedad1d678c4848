"""``/workflow-runs/{runId}/cancel|resume|retry|replay``: operator controls.

Admin only, a reason is required, and each is audited in the same transaction
as the engine call that carries it out (an audit entry never describes
something that did not happen). The answer is the run (for replay: the new run).
"""

from __future__ import annotations

from typing import Any

from sluice_http import Problem, not_found, sluice_router
from sluice_storage import RunRecord, RunRepository

from sluice_api import controls
from sluice_api.audit import audit
from sluice_api.context import ApiContext
from sluice_api.deps import Admin, ContextDep, RunIdPath
from sluice_api.roles import Principal
from sluice_api.schemas.common import OperatorRequest
from sluice_api.schemas.runs import (
    CancelRequest,
    ReplayRequest,
    ResumeRequest,
    RetryRequest,
    RunPublic,
)
from sluice_api.views import run_public

router = sluice_router(prefix="/workflow-runs/{runId}", tags=["run controls"])
_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such run"},
    409: {"model": Problem, "description": "the run's status does not allow this"},
}


async def _control(
    ctx: ApiContext, who: Principal, run_id: Any, action: str, body: OperatorRequest
) -> RunPublic:
    async with ctx.tx() as conn:
        run = await RunRepository(conn, who.tenant_id).lock(run_id)
        if run is None:
            raise not_found("run", run_id)
        result: RunRecord
        if isinstance(body, ResumeRequest):
            result = await controls.resume(ctx, conn, who, run, body.payload)
        elif isinstance(body, ReplayRequest):
            result = await controls.replay(ctx, conn, who, run, body.version, body.payload)
        elif isinstance(body, RetryRequest):
            result = await controls.retry(ctx, conn, who, run, body)
        else:
            result = await controls.cancel(ctx, conn, who, run, body.reason)
        details = body.model_dump(mode="json", by_alias=True, exclude={"reason"}, exclude_none=True)
        await audit(
            conn, who, f"run.{action}", run_id, at=ctx.clock(), reason=body.reason,
            details={**details, "resultRunId": str(result.run_id)},
        )  # fmt: skip
    return run_public(result)


@router.post("/cancel", summary="Cancel a run (any non-final status)", responses=_RESPONSES)
async def cancel_run(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: CancelRequest
) -> RunPublic:
    return await _control(ctx, who, run_id, "cancel", body)


@router.post("/resume", summary="Wake a WAITING run's open wait now", responses=_RESPONSES)
async def resume_run(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: ResumeRequest
) -> RunPublic:
    return await _control(ctx, who, run_id, "resume", body)


@router.post(
    "/retry",
    summary="Restart a FAILED run at its failed step (same version and keys)",
    responses=_RESPONSES,
)
async def retry_run(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: RetryRequest
) -> RunPublic:
    return await _control(ctx, who, run_id, "retry", body)


@router.post(
    "/replay",
    status_code=201,
    summary="Start a new run of the same (or a given) version",
    responses=_RESPONSES,
)
async def replay_run(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: ReplayRequest
) -> RunPublic:
    return await _control(ctx, who, run_id, "replay", body)
