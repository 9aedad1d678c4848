"""Operator controls and task cancel (SPEC 7, 8, 13), in the caller's transaction.

The API authorises and audits; what a control does to a run is decided here, on
the engine's paths and in its lock order (run row, then task row, then wait row),
so no caller closes waits or writes commands itself:

- cancel: ``CancelRun`` (waits released, children canceled, nothing further starts);
- resume: the run's oldest open wait is closed now (one conditional update, so
  a racing event or timer cannot also win) and the matching command applied:
  an event wait gets ``ResumeWait`` with the given payload as the event, a
  human task is completed with the payload as its output, a retry or delay timer fires;
- retry: ``RetryRun``: a FAILED run restarts at its failed step (same version and
  idempotency keys), optionally with an edited payload and vars;
- replay: a new run of the same (or a given) version, same (or edited) payload;
- task cancel: the task and its wait end CANCELED and the step fails as if the
  task had timed out (``TimeoutError``), so a ``tryCatch`` can handle it.

A control the run's status does not allow raises ``RunStatusConflictError``
before anything is written; an unknown run raises ``RunNotFoundError``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from sluice_storage import (
    EventRecord,
    RunRecord,
    RunRepository,
    RunWrites,
    WaitRecord,
    WaitRepository,
)
from sluice_storage.human_tasks import HumanTaskRepository
from workflow_core.interpreter.commands import CancelRun, Command, FireTimer, RetryRun
from workflow_core.interpreter.state import RunStatus
from workflow_core.merge_patch import merge_patch

from sluice_engine.applying import apply_command
from sluice_engine.concurrency import has_free_slot
from sluice_engine.context import EngineContext
from sluice_engine.errors import (
    RunNotFoundError,
    RunStatusConflictError,
    TaskNotActiveError,
    WaitClosedError,
)
from sluice_engine.messages import new_command_id
from sluice_engine.runs import StartOptions, start_run
from sluice_engine.tasks import complete_human_task
from sluice_engine.waits import resume_command


@dataclass(frozen=True)
class Cancel:
    reason: str


@dataclass(frozen=True)
class Resume:
    payload: Any
    subject: str


@dataclass(frozen=True)
class Retry:
    reason: str
    payload: dict[str, Any] | None = None
    vars: dict[str, Any] | None = None
    # JSON Merge Patches (RFC 7396) of the envelope the failed step resumes with
    payload_patch: dict[str, Any] | None = None
    vars_patch: dict[str, Any] | None = None
    from_step_path: str | None = None  # default: the failed step


@dataclass(frozen=True)
class Replay:
    version: int | None = None
    payload: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    payload_patch: dict[str, Any] | None = None  # RFC 7396, over the replayed payload


OperatorControl = Cancel | Resume | Retry | Replay


async def control_run(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    tenant_id: str,
    run_id: uuid.UUID,
    control: OperatorControl,
) -> uuid.UUID:
    """Carry out ``control`` on the run (locked first); the run to show for it (a replay:
    the new run)."""
    run = await RunRepository(conn, tenant_id).lock(run_id)
    if run is None:
        raise RunNotFoundError(f"run {run_id} not found", tenant_id=tenant_id, run_id=str(run_id))
    if isinstance(control, Replay):
        return await _replay(conn, ctx, run, control)
    if isinstance(control, Resume):
        await _resume(conn, ctx, run, control)
    elif isinstance(control, Retry):
        await _retry(conn, ctx, run, control)
    else:
        if RunStatus(run.status).final:
            raise _conflict(run, "only a run that has not ended can be canceled")
        await _apply(conn, ctx, run, CancelRun(command_id=new_command_id(), now=ctx.clock(),
                                               reason=control.reason))  # fmt: skip
    return run.run_id


def _conflict(run: RunRecord, what: str) -> RunStatusConflictError:
    return RunStatusConflictError(f"run {run.run_id} is {run.status}: {what}",
                                  tenant_id=run.tenant_id, run_id=str(run.run_id))  # fmt: skip


async def _apply(
    conn: asyncpg.Connection, ctx: EngineContext, run: RunRecord, command: Command
) -> str:
    applied = await apply_command(conn, ctx, run.tenant_id, str(run.run_id), command)
    return applied.outcome


async def _resume(
    conn: asyncpg.Connection, ctx: EngineContext, run: RunRecord, control: Resume
) -> None:
    if run.status != "WAITING":
        raise _conflict(run, "only a WAITING run can be resumed")
    waits = await WaitRepository(conn, run.tenant_id).open_for_run(run.run_id)
    wait = next((w for w in waits if w.kind in ("event", "human_task", "retry", "timer")), None)
    if wait is None:
        raise _conflict(run, "it waits on nothing an operator can resume (a child run?)")
    if wait.kind == "human_task":
        await complete_human_task(conn, ctx, run.tenant_id, str(wait.wait_id), control.payload,
                                  control.subject)  # fmt: skip
        return
    now = ctx.clock()
    closed = await WaitRepository(conn, run.tenant_id).close(
        wait.wait_id, "RESOLVED" if wait.kind == "event" else "FIRED", now=now,
        resolved_by=f"operator:{control.subject}",
    )  # fmt: skip
    if closed is None:
        raise WaitClosedError(f"wait {wait.wait_id} was closed meanwhile",
                              tenant_id=run.tenant_id, run_id=str(run.run_id))  # fmt: skip
    command = (
        resume_command(str(wait.wait_id), _operator_event(wait, control.payload, now), now)
        if wait.kind == "event"
        else FireTimer(command_id=new_command_id(), now=now, wait_id=str(wait.wait_id))
    )
    await _apply(conn, ctx, run, command)


def _operator_event(wait: WaitRecord, payload: Any, now: datetime) -> EventRecord:
    """The event an operator's resume stands for (it is not stored as an inbound event)."""
    return EventRecord(
        tenant_id=wait.tenant_id, event_id=uuid.uuid4(), event_name=wait.event_name or "",
        correlation_key=wait.correlation_key or "", payload=payload if payload is not None else {},
        idempotency_key=None, source="operator", kafka_topic=None, kafka_partition=None,
        kafka_offset=None, received_at=now, expires_at=None, matched=True, started_run_ids=[],
        resumed_run_id=wait.run_id, errors=None,
    )  # fmt: skip


async def _retry(
    conn: asyncpg.Connection, ctx: EngineContext, run: RunRecord, control: Retry
) -> None:
    if run.status != "FAILED":
        raise _conflict(run, "only a FAILED run can be retried")
    await _slot_for_retry(conn, ctx, run)
    command = RetryRun(
        command_id=new_command_id(), now=ctx.clock(), reason=control.reason,
        payload=control.payload, vars=control.vars, payload_patch=control.payload_patch,
        vars_patch=control.vars_patch, from_step_path=control.from_step_path,
    )  # fmt: skip
    applied = await apply_command(conn, ctx, run.tenant_id, str(run.run_id), command)
    if applied.outcome == "rejected":
        raise RunStatusConflictError(f"run {run.run_id} cannot be retried: {applied.rejected}",
                                     tenant_id=run.tenant_id, run_id=str(run.run_id))  # fmt: skip


async def _slot_for_retry(conn: asyncpg.Connection, ctx: EngineContext, run: RunRecord) -> None:
    """A retried run is in flight again: its workflow's concurrency limit must have a
    free slot for its key (checked under the key's lock, held to the commit)."""
    if run.concurrency_key is None:
        return
    loaded = await ctx.definitions.load(conn, run.tenant_id, str(run.workflow_id),
                                        run.workflow_version)  # fmt: skip
    limit = loaded.definition.concurrency
    free, in_flight = await has_free_slot(conn, RunWrites(run.tenant_id), run, limit)
    if not free:
        raise _conflict(run, f"its concurrency limit is reached ({in_flight} run(s) of its "
                        "key in flight); retry it when one ends")  # fmt: skip


async def _replay(
    conn: asyncpg.Connection, ctx: EngineContext, run: RunRecord, control: Replay
) -> uuid.UUID:
    payload = control.payload if control.payload is not None else run.payload
    if control.payload_patch is not None:
        payload = merge_patch(payload, control.payload_patch)
    applied = await start_run(
        conn, ctx, run.tenant_id, str(run.workflow_id), payload,
        StartOptions(version=control.version or run.workflow_version,
                     tags={"replayOf": str(run.run_id), **control.tags}),
    )  # fmt: skip
    return uuid.UUID(applied.run_id)


async def cancel_task(
    conn: asyncpg.Connection, ctx: EngineContext, tenant_id: str, task_id: uuid.UUID,
    subject: str,
) -> None:  # fmt: skip
    """Cancel a run's human task: task and wait CANCELED, the step fails as timed out.

    Locks the run row, then the task row, then the wait (the advance path's order);
    ``TaskNotActiveError`` when the task is not open (or no run waits on it)."""
    now = ctx.clock()
    tasks = HumanTaskRepository(conn, tenant_id)
    found = await tasks.get(task_id)
    if found is not None:
        await RunRepository(conn, tenant_id).lock(found.run_id)
    task = await tasks.get(task_id, lock=True)
    wait_id = (task.wait_id or task.task_id) if task else task_id
    closed = await WaitRepository(conn, tenant_id).close(
        wait_id, "CANCELED", now=now, resolved_by=f"task-cancel:{subject}"
    )
    if task is None or closed is None or await tasks.cancel(task_id, now) is None:
        raise TaskNotActiveError(f"task {task_id} is not open")
    command = FireTimer(command_id=new_command_id(), now=now, wait_id=str(wait_id))
    await apply_command(conn, ctx, tenant_id, str(task.run_id), command)
