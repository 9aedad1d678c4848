"""Bulk controls: ``POST /workflow-runs/bulk/{cancel|resume|retry|replay}`` and the
console's ``POST /workflow-runs/bulk``, both operations (``sluice_api.bulk``).

The four routes name runs by id or by the run list's filter, need a reason, and
answer 202 with the operation, which the API's workers then do in batches
(``GET /bulk-operations/{id}`` shows progress and per-run outcomes); with
``dryRun`` they answer 200 with what it would touch and do nothing.
``POST /workflow-runs/bulk`` (up to 100 listed runs) is the same operation worked
through before the answer, which lists every run's outcome.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from sluice_http import Problem, sluice_router
from sluice_storage.operations import OperationRepository, TooManyRunsError

from sluice_api.bulk import KIND, create_bulk, dry_run
from sluice_api.context import ApiContext
from sluice_api.deps import Admin, ContextDep
from sluice_api.operations import OperationWorker
from sluice_api.roles import Principal
from sluice_api.schemas.operations import (
    BulkAction,
    BulkCancelRequest,
    BulkControlPublic,
    BulkControlRequest,
    BulkControlResult,
    BulkDryRunPublic,
    BulkReplayRequest,
    BulkResumeRequest,
    BulkRetryRequest,
    BulkTarget,
    OperationPublic,
)
from sluice_api.views_operations import operation_public, too_many

router = sluice_router(prefix="/workflow-runs", tags=["run controls"])
_SUBMIT: dict[str, Any] = {
    "status_code": 202,
    "response_model": OperationPublic,
    "responses": {
        200: {"model": BulkDryRunPublic, "description": "dryRun: what it would touch"},
        202: {"description": "the operation, PENDING (Location: /bulk-operations/{id})"},
        422: {"description": "no reason, both or neither of runIds and filter, or a filter "
              "matching more than 100,000 runs"},
    },
}  # fmt: skip


async def _submit(
    ctx: ApiContext, who: Principal, action: BulkAction, body: BulkTarget, response: Response
) -> OperationPublic | JSONResponse:
    async with ctx.tx() as conn:
        if body.dry_run:
            counted = await dry_run(conn, who, action, body)
            return JSONResponse(counted.model_dump(mode="json", by_alias=True))
        try:
            operation = await create_bulk(conn, ctx, who, action, body)
        except TooManyRunsError as exc:
            raise too_many(exc) from exc
    ctx.operations_wake.set()
    response.headers["Location"] = f"/bulk-operations/{operation.operation_id}"
    return operation_public(operation)


@router.post("/bulk/cancel", summary="Cancel many runs (an operation)", **_SUBMIT)
async def bulk_cancel(
    ctx: ContextDep, who: Admin, body: BulkCancelRequest, response: Response
) -> OperationPublic | JSONResponse:
    return await _submit(ctx, who, BulkAction.CANCEL, body, response)


@router.post("/bulk/resume", summary="Resume many WAITING runs (an operation)", **_SUBMIT)
async def bulk_resume(
    ctx: ContextDep, who: Admin, body: BulkResumeRequest, response: Response
) -> OperationPublic | JSONResponse:
    return await _submit(ctx, who, BulkAction.RESUME, body, response)


@router.post(
    "/bulk/retry", summary="Retry many FAILED runs, optionally edited (an operation)", **_SUBMIT
)
async def bulk_retry(
    ctx: ContextDep, who: Admin, body: BulkRetryRequest, response: Response
) -> OperationPublic | JSONResponse:
    return await _submit(ctx, who, BulkAction.RETRY, body, response)


@router.post("/bulk/replay", summary="Replay many runs (an operation)", **_SUBMIT)
async def bulk_replay(
    ctx: ContextDep, who: Admin, body: BulkReplayRequest, response: Response
) -> OperationPublic | JSONResponse:
    return await _submit(ctx, who, BulkAction.REPLAY, body, response)


@router.post(
    "/bulk", summary="Cancel, resume, retry or replay up to 100 runs with one reason, now",
    responses={422: {"model": Problem, "description": "no reason, or more than 100 runs"}},
)  # fmt: skip
async def bulk_control(ctx: ContextDep, who: Admin, body: BulkControlRequest) -> BulkControlPublic:
    """The operation, worked by this request itself (the runs in the order given, each
    once); every run's outcome in the answer."""
    worker = OperationWorker.create(ctx, owner=f"request:{who.token_id}:{id(body)}")
    target = BulkTarget(reason=body.reason, run_ids=body.run_ids)
    lease = (worker.owner, ctx.clock() + worker.lease)
    async with ctx.tx() as conn:
        operation = await create_bulk(conn, ctx, who, body.action, target, lease=lease)
    await worker.work(operation)
    while True:  # done, unless a slow request lost its lease: then another worker finishes
        async with ctx.tx() as conn:
            repo = OperationRepository(conn, who.tenant_id)
            current = await repo.get(KIND, operation.operation_id)
            if current is None or current.status == "COMPLETED":
                items = await repo.items(operation.operation_id, limit=len(body.run_ids))
                break
        await asyncio.sleep(0.1)
    results = [
        BulkControlResult(run_id=i.run_id, ok=bool(i.ok), status=i.run_status if i.ok else None,
                          code=i.code, detail=i.detail)
        for i in items.items
    ]  # fmt: skip
    succeeded = sum(r.ok for r in results)
    return BulkControlPublic(
        succeeded=succeeded, failed=len(results) - succeeded, results=results,
        operation_id=operation.operation_id,
    )  # fmt: skip
