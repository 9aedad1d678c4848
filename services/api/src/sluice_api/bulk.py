"""Bulk controls as operations: which runs, the dry run, and what is done to each run.

Runs are named by id or by the run list's filter. A filter touches only the runs
whose status the action applies to (``APPLIES_TO``: cancelling a SUCCEEDED run is
never meant); listed ids are each tried, and a refusal is that run's outcome. The
operation is audited once when it is created (with the count) and once per run
(``run.<action>``, as the single control, with the operation's id), by the
principal who asked.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sluice_storage import RunFilter
from sluice_storage.operations import (
    ItemOutcome,
    NewOperation,
    Operation,
    OperationItem,
    OperationRepository,
)

from sluice_api.audit import audit
from sluice_api.context import ApiContext
from sluice_api.roles import Principal
from sluice_api.routes.run_controls import control_in
from sluice_api.schemas.common import OperatorRequest
from sluice_api.schemas.operations import BulkAction, BulkDryRunPublic, BulkTarget
from sluice_api.schemas.runs import (
    CancelRequest,
    ReplayRequest,
    ResumeRequest,
    RetryRequest,
    RunStatusName,
)

KIND = "bulk"
# A filter reaches at most this many runs per operation: 100,000 items are ~10 MB of
# rows, and at ~300 controls/s on this machine about six minutes of work.
MAX_FILTERED_RUNS = 100_000
APPLIES_TO: dict[BulkAction, tuple[RunStatusName, ...]] = {
    BulkAction.CANCEL: (RunStatusName.RUNNING, RunStatusName.WAITING),
    BulkAction.RESUME: (RunStatusName.WAITING,),
    BulkAction.RETRY: (RunStatusName.FAILED,),
    BulkAction.REPLAY: tuple(RunStatusName),
}
REQUESTS: dict[str, type[OperatorRequest]] = {
    BulkAction.CANCEL: CancelRequest, BulkAction.RESUME: ResumeRequest,
    BulkAction.RETRY: RetryRequest, BulkAction.REPLAY: ReplayRequest,
}  # fmt: skip
TARGET_FIELDS = {"reason", "dry_run"}


def target_filter(action: BulkAction, body: BulkTarget) -> RunFilter:
    """The body's filter narrowed to the statuses ``action`` applies to."""
    assert body.filter is not None
    asked = body.filter.status or list(RunStatusName)
    statuses = tuple(s.value for s in APPLIES_TO[action] if s in asked)
    # no status left: match nothing (an empty tuple would mean "any status")
    return body.filter.run_filter(statuses or ("-",))


async def dry_run(
    conn: asyncpg.Connection, who: Principal, action: BulkAction, body: BulkTarget
) -> BulkDryRunPublic:
    repo = OperationRepository(conn, who.tenant_id)
    not_found = 0
    if body.run_ids is not None:
        found = await repo.statuses_of(list(dict.fromkeys(body.run_ids)))
        by_status: dict[str, int] = {}
        for status in found.values():
            by_status[status] = by_status.get(status, 0) + 1
        not_found = len(set(body.run_ids)) - len(found)
    else:
        by_status = await repo.count_by_status(target_filter(action, body))
    return BulkDryRunPublic(
        action=action, total=sum(by_status.values()) + not_found, by_status=by_status,
        not_found=not_found, applies_to=list(APPLIES_TO[action]),
    )  # fmt: skip


async def create_bulk(
    conn: asyncpg.Connection, ctx: ApiContext, who: Principal, action: BulkAction,
    body: BulkTarget, *, lease: tuple[str, Any] | None = None,
) -> Operation:  # fmt: skip
    """The operation, its runs fixed now, audited once with the count."""
    params = body.model_dump(mode="json", by_alias=True, exclude=TARGET_FIELDS, exclude_none=True)
    new = NewOperation(KIND, action.value, who.subject, who.role, body.reason, params, lease)
    repo, now = OperationRepository(conn, who.tenant_id), ctx.clock()
    if body.run_ids is not None:
        operation = await repo.create_for_runs(new, body.run_ids, now=now)
    else:
        operation = await repo.create_for_filter(
            new, target_filter(action, body), now=now, limit=MAX_FILTERED_RUNS
        )
    await audit(
        conn, who, f"run.bulk-{action.value}", operation.operation_id, at=now,
        reason=body.reason, details={**params, "count": operation.total},
    )  # fmt: skip
    return operation


def principal_of(operation: Operation) -> Principal:
    """Who asked: each run's control and audit entry are theirs."""
    return Principal(operation.tenant_id, operation.subject, operation.role,
                     token_id=f"operation:{operation.operation_id}")  # fmt: skip


def bulk_handler(ctx: ApiContext) -> Any:
    async def one_run(
        conn: asyncpg.Connection, operation: Operation, item: OperationItem
    ) -> ItemOutcome:
        """The operation's control on one run, exactly as its single route does it."""
        request = REQUESTS[operation.action].model_validate(
            {**operation.params, "reason": operation.reason}
        )
        run = await control_in(
            conn, ctx, principal_of(operation), item.run_id, operation.action, request,
            details={"operationId": str(operation.operation_id)},
        )  # fmt: skip
        replayed = run.run_id if run.run_id != item.run_id else None
        return ItemOutcome(ok=True, run_status=run.status, result_run_id=replayed)

    return one_run
