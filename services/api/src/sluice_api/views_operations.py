"""Operation records -> wire."""

from __future__ import annotations

from sluice_http import ProblemError
from sluice_storage.operations import Operation, OperationItem, TooManyRunsError

from sluice_api.schemas.operations import OperationItemPublic, OperationPublic, OperationStatus


def operation_public(operation: Operation) -> OperationPublic:
    return OperationPublic(
        operation_id=operation.operation_id, kind=operation.kind, action=operation.action,
        status=OperationStatus(operation.status), reason=operation.reason,
        created_by=operation.subject, created_at=operation.created_at,
        started_at=operation.started_at, finished_at=operation.finished_at,
        total=operation.total, done=operation.done, succeeded=operation.succeeded,
        failed=operation.failed, request=operation.params,
    )  # fmt: skip


def item_public(item: OperationItem) -> OperationItemPublic:
    return OperationItemPublic(
        seq=item.seq, run_id=item.run_id, done=item.done, ok=item.ok, code=item.code,
        detail=item.detail, run_status=item.run_status, result_run_id=item.result_run_id,
        done_at=item.done_at,
    )  # fmt: skip


def too_many(exc: TooManyRunsError) -> ProblemError:
    return ProblemError(422, "TOO_MANY_RUNS", str(exc))
