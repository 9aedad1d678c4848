"""``POST /workflow-runs/bulk``: one operator control on many runs, one reason.

Each run goes through exactly what ``/workflow-runs/{runId}/<action>`` does (its own
transaction, lock, checks and audit entry with the shared reason), one after the
other, so a run that refuses (409: not WAITING, already ended...) or vanished (404)
does not stop the others; the answer lists every run's outcome. Resume wakes the
oldest open wait with no payload; retry restarts at the failed step unedited (edits
are per run: use the single route).
"""

from __future__ import annotations

from sluice_engine import EngineError
from sluice_http import ProblemError, sluice_router

from sluice_api.deps import Admin, ContextDep
from sluice_api.engine import engine_problem
from sluice_api.routes.run_controls import apply_control
from sluice_api.schemas.common import OperatorRequest
from sluice_api.schemas.runs import (
    BulkAction,
    BulkControlPublic,
    BulkControlRequest,
    BulkControlResult,
    CancelRequest,
    ResumeRequest,
    RetryRequest,
)

router = sluice_router(prefix="/workflow-runs", tags=["run controls"])
BODIES: dict[BulkAction, type[OperatorRequest]] = {
    BulkAction.CANCEL: CancelRequest, BulkAction.RESUME: ResumeRequest,
    BulkAction.RETRY: RetryRequest,
}  # fmt: skip


@router.post("/bulk", summary="Cancel, resume or retry up to 100 runs with one reason")
async def bulk_control(ctx: ContextDep, who: Admin, body: BulkControlRequest) -> BulkControlPublic:
    request = BODIES[body.action](reason=body.reason)
    results: list[BulkControlResult] = []
    for run_id in dict.fromkeys(body.run_ids):  # each once, in the order given
        try:
            run = await apply_control(ctx, who, run_id, body.action.value, request)
        except (ProblemError, EngineError) as exc:
            problem = exc if isinstance(exc, ProblemError) else engine_problem(exc)
            if problem is None:
                raise  # a bug, not the run's refusal: 500 like the single route
            results.append(BulkControlResult(
                run_id=run_id, ok=False, code=problem.code, detail=problem.detail))  # fmt: skip
            continue
        results.append(BulkControlResult(run_id=run_id, ok=True, status=run.status))
    succeeded = sum(r.ok for r in results)
    return BulkControlPublic(succeeded=succeeded, failed=len(results) - succeeded, results=results)
