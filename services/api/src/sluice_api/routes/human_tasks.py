"""``/human-tasks``: the inbox and its size; claim, complete (validated first), cancel.

A task a run waits on resumes (or, canceled, fails) its step. An inbox-only
task (no wait behind it, e.g. "Email Processing Failure") is just closed; its
completion and cancel are audited (``task.complete`` / ``task.cancel``) since
no run history records them.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Body, Query
from sluice_engine import cancel_inbox_task, complete_human_task, is_inbox_task
from sluice_engine import cancel_task as cancel_run_task
from sluice_http import Problem, ProblemError, ProblemItem, not_found, sluice_router
from sluice_storage.human_tasks import ACTIVE_STATUSES, HumanTaskRecord, HumanTaskRepository
from workflow_core.json_schema import violations

from sluice_api.audit import audit
from sluice_api.context import ApiContext
from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, Manager, TaskIdPath, Viewer
from sluice_api.roles import Principal
from sluice_api.schemas.common import Page
from sluice_api.schemas.human_tasks import HumanTaskPublic, TaskStatus, TaskSummaryPublic

router = sluice_router(prefix="/human-tasks", tags=["human tasks"])
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "the task is not open"}
}


def task_public(task: HumanTaskRecord) -> HumanTaskPublic:
    return HumanTaskPublic(
        task_id=task.task_id, run_id=task.run_id, task_type=task.task_type, title=task.title,
        description=task.description, status=TaskStatus(task.status),
        form_schema=task.form_schema, assignee=task.assignee, claimed_by=task.claimed_by,
        output=task.output, created_at=task.created_at, completed_at=task.completed_at,
    )  # fmt: skip


def not_open(task: HumanTaskRecord) -> ProblemError:
    return ProblemError(409, "TASK_NOT_OPEN", f"task {task.task_id} is {task.status}")


def check_output(task: HumanTaskRecord, output: Any) -> None:
    """The form schema decides, before anything is recorded (the task stays open)."""
    found = violations(task.form_schema, output)
    if found:
        items = [ProblemItem(pointer=v.pointer, message=v.message) for v in found]
        detail = f"the output does not match the form of task {task.task_id}: " + "; ".join(
            f"{i.pointer or '/'}: {i.message}" for i in items
        )
        raise ProblemError(422, "INVALID_TASK_OUTPUT", detail, errors=items)


@router.get("", summary="List human tasks (oldest first)")
async def list_tasks(
    ctx: ContextDep,
    who: Viewer,
    run_id: Annotated[uuid.UUID | None, Query(alias="runId")] = None,
    status: Annotated[list[TaskStatus] | None, Query(description="repeatable")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[HumanTaskPublic]:
    statuses = tuple(s.value for s in status or ())
    async with ctx.tx() as conn:
        page = await HumanTaskRepository(conn, who.tenant_id).list_tasks(
            run_id=run_id, statuses=statuses, cursor=cursor, limit=limit
        )
    return Page(items=[task_public(t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/summary", summary="Count the tasks still to do (open, claimed)")
async def task_summary(ctx: ContextDep, who: Viewer) -> TaskSummaryPublic:
    async with ctx.tx() as conn:
        counts = await HumanTaskRepository(conn, who.tenant_id).count_active()
    return TaskSummaryPublic(open=counts["OPEN"], claimed=counts["CLAIMED"])


@router.post("/{id}/claim", summary="Claim a task", responses=_CONFLICT)
async def claim_task(ctx: ContextDep, who: Manager, task_id: TaskIdPath) -> HumanTaskPublic:
    async with ctx.tx() as conn:
        repo = HumanTaskRepository(conn, who.tenant_id)
        task = await repo.get(task_id, lock=True)
        if task is None:
            raise not_found("human task", task_id)
        claimed = await repo.claim(task_id, who.subject, ctx.clock())
        if claimed is None:
            raise not_open(task)
    return task_public(claimed)


@router.post(
    "/{id}/complete", summary="Complete a task with its form output",
    responses={**_CONFLICT, 422: {"model": Problem, "description": "output breaks the form"}},
)  # fmt: skip
async def complete_task(
    ctx: ContextDep,
    who: Manager,
    task_id: TaskIdPath,
    output: Annotated[Any, Body(description="the form output, validated by its schema")],
) -> HumanTaskPublic:
    async with ctx.tx() as conn:
        # not locked here: the engine locks the run, then the task (the advance path's order)
        task = await HumanTaskRepository(conn, who.tenant_id).get(task_id)
        if task is None:
            raise not_found("human task", task_id)
        if task.status not in ACTIVE_STATUSES:
            raise not_open(task)
        check_output(task, output)
        completed = await complete_human_task(
            conn, ctx.engine, who.tenant_id, str(task_id), output, who.subject
        )
        if is_inbox_task(task):
            await _audit(ctx, conn, who, "task.complete", completed)
    return task_public(completed)


@router.post("/{id}/cancel", summary="Cancel a task", responses=_CONFLICT)
async def cancel_task(ctx: ContextDep, who: Manager, task_id: TaskIdPath) -> HumanTaskPublic:
    async with ctx.tx() as conn:
        task = await HumanTaskRepository(conn, who.tenant_id).get(task_id)  # locked below
        if task is None:
            raise not_found("human task", task_id)
        if task.status not in ACTIVE_STATUSES:
            raise not_open(task)
        if is_inbox_task(task):
            canceled = await cancel_inbox_task(conn, ctx.engine, who.tenant_id, str(task_id))
            await _audit(ctx, conn, who, "task.cancel", canceled)
            return task_public(canceled)
        await cancel_run_task(conn, ctx.engine, who.tenant_id, task_id, who.subject)
        found = await HumanTaskRepository(conn, who.tenant_id).get(task_id)
    assert found is not None
    return task_public(found)


async def _audit(
    ctx: ApiContext, conn: Any, who: Principal, action: str, task: HumanTaskRecord
) -> None:
    """Inbox tasks have no run history to show who closed them: the audit log does."""
    await audit(
        conn, who, action, task.task_id, at=ctx.clock(),
        details={"runId": str(task.run_id), "taskType": task.task_type, "output": task.output},
    )  # fmt: skip
