"""``/workflow-runs/{runId}/cancel|resume|retry|replay``: operator controls.

Admin only, a reason is required, and each is audited in the same transaction
as the engine call that carries it out (an audit entry never describes
something that did not happen). What a control does to the run is the
engine's (``sluice_engine.control_run``: its lock order, its wait transitions);
the API authorises, audits and answers with the run (for replay: the new run).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from sluice_engine import Cancel, OperatorControl, Replay, Resume, Retry, control_run
from sluice_http import Problem, sluice_router
from sluice_storage import RunRecord

from sluice_api.audit import audit
from sluice_api.context import ApiContext
from sluice_api.deps import Admin, ContextDep, RunIdPath
from sluice_api.roles import Principal
from sluice_api.run_start import load_run
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


def _engine_control(who: Principal, body: OperatorRequest) -> OperatorControl:
    if isinstance(body, ResumeRequest):
        return Resume(payload=body.payload, subject=who.subject)
    if isinstance(body, ReplayRequest):
        return Replay(version=body.version, payload=body.payload, payload_patch=body.payload_patch)
    if isinstance(body, RetryRequest):
        return Retry(reason=body.reason, payload=body.payload, vars=body.vars,
                     payload_patch=body.payload_patch, vars_patch=body.vars_patch,
                     from_step_path=body.from_step_path)  # fmt: skip
    return Cancel(reason=body.reason)


async def control_in(
    conn: asyncpg.Connection, ctx: ApiContext, who: Principal, run_id: uuid.UUID, action: str,
    body: OperatorRequest, details: dict[str, Any] | None = None,
) -> RunRecord:  # fmt: skip
    """Carry out one control and audit it in the caller's transaction (``details`` add to
    the entry's); the run to show for it (a replay: the new run)."""
    shown = await control_run(conn, ctx.engine, who.tenant_id, run_id, _engine_control(who, body))
    result = await load_run(conn, who.tenant_id, shown)
    asked = body.model_dump(mode="json", by_alias=True, exclude={"reason"}, exclude_none=True)
    await audit(
        conn, who, f"run.{action}", run_id, at=ctx.clock(), reason=body.reason,
        details={**asked, **(details or {}), "resultRunId": str(result.run_id)},
    )  # fmt: skip
    return result


async def apply_control(
    ctx: ApiContext, who: Principal, run_id: uuid.UUID, action: str, body: OperatorRequest
) -> RunPublic:
    async with ctx.tx() as conn:
        return run_public(await control_in(conn, ctx, who, run_id, action, body))


@router.post("/cancel", summary="Cancel a run (any non-final status)", responses=_RESPONSES)
async def cancel_run(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: CancelRequest
) -> RunPublic:
    return await apply_control(ctx, who, run_id, "cancel", body)


@router.post("/resume", summary="Wake a WAITING run's open wait now", responses=_RESPONSES)
async def resume_run(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: ResumeRequest
) -> RunPublic:
    return await apply_control(ctx, who, run_id, "resume", body)


@router.post(
    "/retry",
    summary="Restart a FAILED run at its failed step (same version and keys)",
    responses=_RESPONSES,
)
async def retry_run(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: RetryRequest
) -> RunPublic:
    return await apply_control(ctx, who, run_id, "retry", body)


@router.post(
    "/replay",
    status_code=201,
    summary="Start a new run of the same (or a given) version",
    responses=_RESPONSES,
)
async def replay_run(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: ReplayRequest
) -> RunPublic:
    return await apply_control(ctx, who, run_id, "replay", body)
