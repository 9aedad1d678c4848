"""Operator controls and task cancel, carried out through the engine (SPEC 7, 8, 13).

- cancel: ``CancelRun`` (waits released, children canceled, nothing further starts);
- resume: the run's oldest open wait is closed now (one conditional update, so
  a racing event or timer cannot also win) and the matching command applied:
  an event wait gets ``ResumeWait`` with the body's payload as the event, a
  human task is completed with the payload as its output, a retry timer fires;
- replay: a new run of the same (or a given) version, same (or edited) payload;
- retry: ``RetryRun``: a FAILED run restarts at its failed step (same version and
  idempotency keys), optionally with an edited payload and vars;
- task cancel: the task and its wait end CANCELED and the step fails as if the
  task had timed out (``TimeoutError``), so a ``tryCatch`` can handle it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
from sluice_engine import (
    StartOptions,
    apply_command,
    complete_human_task,
    new_command_id,
    start_run,
)
from sluice_engine.waits import resume_command
from sluice_http import ProblemError
from sluice_storage import EventRecord, RunRecord, RunRepository, WaitRecord, WaitRepository
from sluice_storage.human_tasks import HumanTaskRepository
from workflow_core.interpreter.commands import CancelRun, FireTimer, RetryRun
from workflow_core.interpreter.state import RunStatus

from sluice_api.context import ApiContext
from sluice_api.roles import Principal
from sluice_api.run_start import load_run
from sluice_api.schemas.runs import RetryRequest


def _refuse(run: RunRecord, what: str) -> ProblemError:
    return ProblemError(409, "RUN_STATUS_CONFLICT", f"run {run.run_id} is {run.status}: {what}")


async def cancel(
    ctx: ApiContext, conn: asyncpg.Connection, who: Principal, run: RunRecord, reason: str
) -> RunRecord:
    if RunStatus(run.status).final:
        raise _refuse(run, "only a run that has not ended can be canceled")
    command = CancelRun(command_id=new_command_id(), now=ctx.clock(), reason=reason)
    await apply_command(conn, ctx.engine, who.tenant_id, str(run.run_id), command)
    return await load_run(conn, who.tenant_id, run.run_id)


async def resume(
    ctx: ApiContext, conn: asyncpg.Connection, who: Principal, run: RunRecord, payload: Any
) -> RunRecord:
    if run.status != "WAITING":
        raise _refuse(run, "only a WAITING run can be resumed")
    waits = await WaitRepository(conn, who.tenant_id).open_for_run(run.run_id)
    wait = next((w for w in waits if w.kind in ("event", "human_task", "retry", "timer")), None)
    if wait is None:
        raise _refuse(run, "it waits on nothing an operator can resume (a child run?)")
    if wait.kind == "human_task":
        await complete_human_task(conn, ctx.engine, who.tenant_id, str(wait.wait_id),
                                  payload, who.subject)  # fmt: skip
    else:
        await _resume_wait(ctx, conn, who, wait, payload)
    return await load_run(conn, who.tenant_id, run.run_id)


async def _resume_wait(
    ctx: ApiContext, conn: asyncpg.Connection, who: Principal, wait: WaitRecord, payload: Any
) -> None:
    now = ctx.clock()
    closed = await WaitRepository(conn, who.tenant_id).close(
        wait.wait_id, "RESOLVED" if wait.kind == "event" else "FIRED", now=now,
        resolved_by=f"operator:{who.subject}",
    )  # fmt: skip
    if closed is None:
        raise ProblemError(409, "WAIT_CLOSED", f"wait {wait.wait_id} was closed meanwhile")
    command = (
        resume_command(str(wait.wait_id), _operator_event(wait, payload, now), now)
        if wait.kind == "event"
        else FireTimer(command_id=new_command_id(), now=now, wait_id=str(wait.wait_id))
    )
    await apply_command(conn, ctx.engine, who.tenant_id, str(wait.run_id), command)


def _operator_event(wait: WaitRecord, payload: Any, now: datetime) -> EventRecord:
    """The event an operator's resume stands for (it is not stored as an inbound event)."""
    return EventRecord(
        tenant_id=wait.tenant_id, event_id=uuid.uuid4(), event_name=wait.event_name or "",
        correlation_key=wait.correlation_key or "", payload=payload if payload is not None else {},
        idempotency_key=None, source="operator", kafka_topic=None, kafka_partition=None,
        kafka_offset=None, received_at=now, expires_at=None, matched=True, started_run_ids=[],
        resumed_run_id=wait.run_id, errors=None,
    )  # fmt: skip


async def replay(
    ctx: ApiContext, conn: asyncpg.Connection, who: Principal, run: RunRecord,
    version: int | None, payload: dict[str, Any] | None,
) -> RunRecord:  # fmt: skip
    applied = await start_run(
        conn, ctx.engine, who.tenant_id, str(run.workflow_id),
        payload if payload is not None else run.payload,
        StartOptions(version=version or run.workflow_version, tags={"replayOf": str(run.run_id)}),
    )  # fmt: skip
    return await load_run(conn, who.tenant_id, uuid.UUID(applied.run_id))


async def retry(
    ctx: ApiContext, conn: asyncpg.Connection, who: Principal, run: RunRecord,
    body: RetryRequest,
) -> RunRecord:  # fmt: skip
    if run.status != "FAILED":
        raise _refuse(run, "only a FAILED run can be retried")
    command = RetryRun(
        command_id=new_command_id(), now=ctx.clock(), reason=body.reason, payload=body.payload,
        vars=body.vars,
    )  # fmt: skip
    applied = await apply_command(conn, ctx.engine, who.tenant_id, str(run.run_id), command)
    if applied.outcome == "rejected":
        detail = f"run {run.run_id} cannot be retried: {applied.rejected}"
        raise ProblemError(409, "RUN_STATUS_CONFLICT", detail)
    return await load_run(conn, who.tenant_id, run.run_id)


async def cancel_task(
    ctx: ApiContext, conn: asyncpg.Connection, who: Principal, task_id: uuid.UUID
) -> None:
    now = ctx.clock()
    tasks = HumanTaskRepository(conn, who.tenant_id)
    found = await tasks.get(task_id)
    if found is not None:  # the run row first, then the task: the advance path's lock order
        await RunRepository(conn, who.tenant_id).lock(found.run_id)
    task = await tasks.get(task_id, lock=True)
    wait_id = (task.wait_id or task.task_id) if task else task_id
    closed = await WaitRepository(conn, who.tenant_id).close(
        wait_id, "CANCELED", now=now, resolved_by=f"task-cancel:{who.subject}"
    )
    if task is None or closed is None or await tasks.cancel(task_id, now) is None:
        raise ProblemError(409, "TASK_NOT_OPEN", f"task {task_id} is not open")
    command = FireTimer(command_id=new_command_id(), now=now, wait_id=str(wait_id))
    await apply_command(conn, ctx.engine, who.tenant_id, str(task.run_id), command)
