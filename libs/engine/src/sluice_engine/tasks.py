"""Completing and canceling human tasks: one conditional wait transition, then the command.

A run's task is completed through ``complete_waiting_task`` whichever way the
completion comes: the API (``complete_human_task``) or a raw
``CompleteHumanTask`` read from ``run-commands`` (``sluice_engine.applying``).
With the run row locked, the task row is locked, the wait is closed
(``WHERE status = 'OPEN'``), the core applies the command and the task row
becomes COMPLETED, all in the caller's transaction. If a timeout, a cancel or
another completion closed the wait first, nothing is written: the API answers
"not active", the advance path drops the command as stale. If the core refuses
the output (it breaks the form schema), ``CommandRejectedError`` is raised so
the caller's transaction rolls back the wait's close too: the task stays open.
Every path takes the run row first, then the task row, then the wait row, so
a completion racing a cancel or a timeout waits instead of deadlocking.

An inbox-only task (``wait_id`` NULL, e.g. the "Email Processing Failure" task
an action puts in the inbox) has no run waiting on it: completing it checks the
output against its form schema here (no core involved) and closes the task;
canceling it closes it. No command is written, no run resumes.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import asyncpg
from pydantic import JsonValue
from sluice_storage import RunRecord, RunRepository, RunWrites, WaitRepository
from sluice_storage.human_tasks import ACTIVE_STATUSES, HumanTaskRecord, HumanTaskRepository
from workflow_core.interpreter.commands import CompleteHumanTask
from workflow_core.interpreter.effects import AppendLog
from workflow_core.json_schema import violations

from sluice_engine.context import EngineContext
from sluice_engine.errors import CommandRejectedError, EngineError, TaskNotActiveError
from sluice_engine.history import record_log
from sluice_engine.messages import answer_id
from sluice_engine.runs import Applied, apply_locked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskCompletion:
    """What a completion did; ``task`` is None when it was stale (nothing written)."""

    applied: Applied
    task: HumanTaskRecord | None = None


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
    if task is None or task.status not in ACTIVE_STATUSES:
        raise TaskNotActiveError(f"human task {task_id} of tenant {tenant_id} is not active")
    if is_inbox_task(task):
        return await _complete_inbox_task(tasks, task, output, subject, ctx)
    record = await RunRepository(conn, tenant_id).lock(task.run_id)
    command = CompleteHumanTask(
        command_id=answer_id("task-complete", task_id), now=ctx.clock(), task_id=task_id,
        output=output, completed_by=subject,
    )  # fmt: skip
    writes = RunWrites(tenant_id, notify=ctx.notify_outbox)
    done = await complete_waiting_task(conn, ctx, writes, record, command) if record else None
    if done is None or done.task is None:
        raise TaskNotActiveError(
            f"human task {task_id} is no longer waiting (timed out or canceled)"
        )
    await writes.flush(conn)
    return done.task


async def complete_waiting_task(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    writes: RunWrites,
    record: RunRecord,
    command: CompleteHumanTask,
    *,
    recorded: bool = False,
) -> TaskCompletion:
    """Close the task's wait (only if open), apply ``command``, complete the task row.

    ``record`` is the run row the caller locked (``recorded``: its command id is
    recorded already). A task that is not this run's active task, or whose wait
    another transition closed, makes the completion stale: nothing but a run log
    line is gathered. Raises ``CommandRejectedError`` when the core refuses the
    output: the caller's transaction must roll back (the wait was closed).
    """
    tasks = HumanTaskRepository(conn, writes.tenant_id)
    task = await _waiting_task(tasks, record, command.task_id)
    closed = None
    if task is not None and task.wait_id is not None:
        closed = await WaitRepository(conn, writes.tenant_id).close(
            task.wait_id, "RESOLVED", now=command.now, resolved_by=_resolver(command)
        )
    if task is None or closed is None:
        return TaskCompletion(_stale(writes, record, command))
    applied = await apply_locked(conn, ctx, writes, record, command, recorded=recorded)
    if applied.outcome != "applied":
        raise _refused(command, applied)
    completed = await tasks.complete(
        task.task_id, command.output, command.completed_by, command.now
    )
    if completed is None:  # cannot happen: locked and active above
        raise TaskNotActiveError(f"human task {command.task_id} is not active")
    return TaskCompletion(applied, completed)


async def _waiting_task(
    tasks: HumanTaskRepository, record: RunRecord, task_id: str
) -> HumanTaskRecord | None:
    """The run's active task behind a wait, row-locked; None for anything else."""
    try:
        key = uuid.UUID(task_id)
    except ValueError:  # a hand-written command: no such task
        return None
    task = await tasks.get(key, lock=True)
    if task is None or is_inbox_task(task) or task.run_id != record.run_id:
        return None
    return task if task.status in ACTIVE_STATUSES else None


def _resolver(command: CompleteHumanTask) -> str:
    who = command.completed_by
    return f"task:{who}" if who else f"command:{command.command_id}"


def _stale(writes: RunWrites, record: RunRecord, command: CompleteHumanTask) -> Applied:
    """Another transition won the wait (timeout, cancel, completion): leave a trace only."""
    log.info("stale completion of task %s (run %s)", command.task_id, record.run_id)
    data: dict[str, JsonValue] = {"taskId": command.task_id, "commandId": command.command_id}
    note = AppendLog(level="info", message="stale task completion ignored", data=data)
    record_log(writes, record.run_id, note, command.now)
    return Applied(str(record.run_id), "stale", record.status)


def _refused(command: CompleteHumanTask, applied: Applied) -> EngineError:
    if applied.outcome == "duplicate":
        return TaskNotActiveError(f"human task {command.task_id} was completed before")
    reason = applied.rejected or "task output refused"
    detail = "; ".join(f"{v.get('pointer') or '/'}: {v.get('message')}" for v in applied.violations)
    return CommandRejectedError(f"{reason}: {detail}" if detail else reason, applied.violations)


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
