"""Completing and canceling human tasks: one conditional wait transition, then the command.

The wait is closed first (``WHERE status = 'OPEN'``): if a timeout or a cancel
won, the task is not active. If the core then refuses the output (it breaks
the form schema), ``CommandRejectedError`` is raised so the caller's
transaction rolls back the wait's close too: the task stays open.

An inbox-only task (``wait_id`` NULL, e.g. the "Email Processing Failure" task
an action puts in the inbox) has no run waiting on it: completing it checks the
output against its form schema here (no core involved) and closes the task;
canceling it closes it. No command is written, no run resumes.
"""

from __future__ import annotations

import uuid

import asyncpg
from pydantic import JsonValue
from sluice_storage import RunRepository, WaitRepository
from sluice_storage.human_tasks import HumanTaskRecord, HumanTaskRepository
from workflow_core.interpreter.commands import CompleteHumanTask
from workflow_core.json_schema import violations

from sluice_engine.context import EngineContext
from sluice_engine.errors import CommandRejectedError, TaskNotActiveError
from sluice_engine.history import Writes
from sluice_engine.messages import answer_id
from sluice_engine.runs import Applied, apply_locked


async def complete_human_task(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    tenant_id: str,
    task_id: str,
    output: JsonValue,
    subject: str,
) -> HumanTaskRecord:
    """Validate (through the core) and record a completion, in the caller's transaction."""
    tasks = HumanTaskRepository(conn, tenant_id)
    task = await tasks.get(uuid.UUID(task_id))
    if task is None or task.status not in ("OPEN", "CLAIMED"):
        raise TaskNotActiveError(f"human task {task_id} of tenant {tenant_id} is not active")
    if task.wait_id is None:
        return await _complete_inbox_task(tasks, task, output, subject, ctx)
    now = ctx.clock()
    record = await RunRepository(conn, tenant_id).lock(task.run_id)
    wait_id = task.wait_id or task.task_id
    closed = await WaitRepository(conn, tenant_id).close(
        wait_id, "RESOLVED", now=now, resolved_by=f"task:{subject}"
    )
    if record is None or closed is None:
        raise TaskNotActiveError(
            f"human task {task_id} is no longer waiting (timed out or canceled)"
        )
    command = CompleteHumanTask(
        command_id=answer_id("task-complete", task_id), now=now, task_id=task_id,
        output=output, completed_by=subject,
    )  # fmt: skip
    writes = Writes(tenant_id, notify=ctx.notify_outbox)
    applied: Applied = await apply_locked(conn, ctx, writes, record, command)
    if applied.outcome == "rejected":
        raise CommandRejectedError(applied.rejected or "task output refused", applied.violations)
    await writes.flush(conn)
    completed = await tasks.complete(task.task_id, output, subject, now)
    if completed is None:
        raise TaskNotActiveError(f"human task {task_id} is not active")
    return completed


def is_inbox_task(task: HumanTaskRecord) -> bool:
    """No run waits on it: completing or canceling it touches only the task."""
    return task.wait_id is None


async def _complete_inbox_task(
    tasks: HumanTaskRepository,
    task: HumanTaskRecord,
    output: JsonValue,
    subject: str,
    ctx: EngineContext,
) -> HumanTaskRecord:
    found = violations(task.form_schema, output)
    if found:
        items = [{"pointer": v.pointer, "message": v.message} for v in found]
        raise CommandRejectedError(f"the output does not match the form of task {task.task_id}",
                                   items)  # fmt: skip
    completed = await tasks.complete(task.task_id, output, subject, ctx.clock())
    if completed is None:
        raise TaskNotActiveError(f"human task {task.task_id} is not active")
    return completed


async def cancel_inbox_task(
    conn: asyncpg.Connection, ctx: EngineContext, tenant_id: str, task_id: str
) -> HumanTaskRecord:
    """Cancel an inbox-only task (no wait, no run to fail); ``TaskNotActiveError`` otherwise."""
    tasks = HumanTaskRepository(conn, tenant_id)
    task = await tasks.get(uuid.UUID(task_id), lock=True)
    if task is None or not is_inbox_task(task):
        raise TaskNotActiveError(f"human task {task_id} of tenant {tenant_id} is not an inbox task")
    canceled = await tasks.cancel(task.task_id, ctx.clock())
    if canceled is None:
        raise TaskNotActiveError(f"human task {task_id} is not active")
    return canceled
