"""Starting and advancing runs: the "Advancing a run" protocol of ARCHITECTURE.

In the caller's transaction: lock the run row, skip a command id already
applied, call the pure core, write every effect and the outbox rows, record
the command id and save the state fenced by the row's ``seq``. A zombie
instance blocks on the row lock, then finds the command applied.
``applying.apply_command`` is the entry point for one command to an existing
run (it sends a task completion through its wait first).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import asyncpg
from sluice_storage import (
    NewRun,
    OutboxMessage,
    RunRecord,
    RunRepository,
    RunUpdate,
    RunWrites,
    after_commit,
    record_command,
)
from sluice_storage import lock_and_record as storage_lock_and_record
from workflow_core.interpreter.advance import Transition, advance
from workflow_core.interpreter.commands import (
    Admission,
    BeginRun,
    ChildRunFinished,
    Command,
    StartRun,
)
from workflow_core.interpreter.effects import Effect, RequestAction, StartChildRun
from workflow_core.interpreter.ids import unit_interval
from workflow_core.interpreter.starting import payload_violations
from workflow_core.interpreter.state import RunState, RunStatus

from sluice_engine import auto_pause, concurrency
from sluice_engine.context import EngineContext
from sluice_engine.effects import persist_effects, run_error
from sluice_engine.errors import InvalidPayloadError, RunNotFoundError, UnknownWorkflowError
from sluice_engine.inline import inline_request, run_inline
from sluice_engine.messages import answer_id, command_message, new_command_id, run_update_message

# A run whose pure actions keep answering inline is re-driven through Kafka after
# 100 in one transaction (a guard against a loop of pure calls holding the lock).
MAX_INLINE_ACTIONS = 100


@dataclass(frozen=True)
class StartOptions:
    """How a run is started beyond workflow and payload (all optional)."""

    version: int | None = None
    run_id: str | None = None
    command_id: str | None = None
    trace_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    parent_run_id: str | None = None
    parent_step_id: str | None = None
    call_depth: int = 0
    trigger_event_id: uuid.UUID | None = None
    event_name: str | None = None
    correlation_key: str | None = None
    now: datetime | None = None  # default: the clock; a child run takes its parent's ``now``


@dataclass(frozen=True)
class Applied:
    """What happened to one command."""

    run_id: str
    outcome: str  # "applied" | "duplicate" | "rejected" | "stale" (a task completion, see tasks)
    status: str
    rejected: str | None = None
    violations: list[dict[str, str]] = field(default_factory=list)


async def start_run(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    tenant_id: str,
    workflow_id: str,
    payload: dict[str, Any],
    options: StartOptions = StartOptions(),
) -> Applied:
    """Validate the payload, create the run and apply StartRun, in the caller's transaction.

    Raises ``InvalidPayloadError`` / ``UnknownWorkflowError`` before writing anything.
    """
    writes = RunWrites(tenant_id, notify=ctx.notify_outbox)
    applied = await start_with(conn, ctx, writes, workflow_id, payload, options)
    await writes.flush(conn)
    return applied


async def start_with(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    writes: RunWrites,
    workflow_id: str,
    payload: dict[str, Any],
    options: StartOptions,
) -> Applied:
    """``start_run`` into the caller's ``RunWrites`` (the caller flushes); raises
    ``InvalidPayloadError`` / ``UnknownWorkflowError`` before gathering anything."""
    tenant_id = writes.tenant_id
    loaded = await ctx.definitions.load(conn, tenant_id, workflow_id, options.version)
    found = payload_violations(loaded.definition, payload, registry=ctx.registry)
    if found:
        detail = "; ".join(f"{v.pointer or '/'}: {v.message}" for v in found[:5])
        raise InvalidPayloadError(f"invalid payload for workflow {workflow_id}: {detail}", found)
    run_id = options.run_id or str(uuid.uuid4())
    now = options.now or ctx.clock()
    decision = await concurrency.admission(conn, ctx, writes, loaded, payload, now)
    if decision.key is not None and options.now is None:
        now = ctx.clock()  # read again under the key's lock: it may have waited for it
    command = StartRun(
        command_id=options.command_id or new_command_id(), now=now, run_id=run_id,
        tenant_id=tenant_id, workflow_id=workflow_id, workflow_version=loaded.version,
        payload=payload, seed=int(unit_interval("seed", run_id) * 2**31), trace_id=options.trace_id,
        tags=options.tags, parent_run_id=options.parent_run_id,
        parent_step_id=options.parent_step_id, call_depth=options.call_depth,
        admission=decision.admission, reason=decision.reason,
    )  # fmt: skip
    transition = advance(loaded.definition, None, command, registry=ctx.registry, limits=ctx.limits)
    parent = uuid.UUID(options.parent_run_id) if options.parent_run_id else None
    run = NewRun(
        run_id=uuid.UUID(run_id), workflow_id=uuid.UUID(workflow_id),
        workflow_version=loaded.version, payload=payload, started_at=now, parent_run_id=parent,
        call_depth=options.call_depth, trigger_event_id=options.trigger_event_id,
        event_name=options.event_name, correlation_key=options.correlation_key,
        concurrency_key=decision.key,
    )  # fmt: skip
    # Inserted (with StartRun recorded as applied) by the flush, in its first state.
    writes.create(run, uuid.UUID(command.command_id))
    if ctx.metrics is not None:
        after_commit(partial(ctx.metrics.run_started, tenant_id, workflow_id))
        if decision.admission is not Admission.START:
            held = partial(ctx.metrics.run_held, tenant_id, workflow_id, decision.admission.value)
            after_commit(held)
    # Not admitted: never in flight, so ending at once frees no slot.
    first = "RUNNING" if decision.admission is Admission.START else "QUEUED"
    return await _persist(conn, ctx, writes, new_record(tenant_id, run, first), transition, now)


def new_record(tenant_id: str, run: NewRun, status: str = "RUNNING") -> RunRecord:
    """The row ``run`` will be before its first transition (not written yet)."""
    return RunRecord(
        tenant_id=tenant_id, run_id=run.run_id, workflow_id=run.workflow_id,
        workflow_version=run.workflow_version, status=status, node_path="root", state=None,
        run_state=run.run_state, seq=0, parent_run_id=run.parent_run_id,
        root_run_id=run.root_run_id or run.run_id, call_depth=run.call_depth,
        payload=run.payload, error=None, trigger_event_id=run.trigger_event_id,
        event_name=run.event_name, correlation_key=run.correlation_key,
        started_at=run.started_at, updated_at=run.started_at, completed_at=None,
        last_progress_at=run.started_at, concurrency_key=run.concurrency_key,
    )  # fmt: skip


async def lock_and_record(
    conn: asyncpg.Connection, tenant_id: str, run_id: str, command_id: str
) -> tuple[RunRecord, bool]:
    """Lock the run row and record the command id (``sluice_storage.lock_and_record``);
    ``RunNotFoundError`` when the run does not exist."""
    found = await storage_lock_and_record(conn, tenant_id, uuid.UUID(run_id), uuid.UUID(command_id))
    if found is None:
        raise RunNotFoundError(f"run {run_id} of tenant {tenant_id} does not exist")
    return found


async def apply_locked(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    writes: RunWrites,
    record: RunRecord,
    command: Command,
    *,
    recorded: bool = False,
) -> Applied:
    """``apply_command`` for a run row the caller already locked."""
    fresh = recorded or await record_command(
        conn, writes.tenant_id, record.run_id, uuid.UUID(command.command_id)
    )
    if not fresh:
        return Applied(str(record.run_id), "duplicate", record.status)
    state = RunState.model_validate(record.run_state)
    loaded = await ctx.definitions.load(
        conn, writes.tenant_id, state.workflow_id, state.workflow_version
    )
    if isinstance(command, BeginRun):
        limit = loaded.definition.concurrency
        if not await concurrency.may_begin(conn, ctx, writes, record, limit, command.now):
            return Applied(str(record.run_id), "stale", record.status)
    transition = advance(
        loaded.definition, state, command, registry=ctx.registry, limits=ctx.limits
    )
    if transition.rejected is not None:
        return Applied(
            str(record.run_id), "rejected", record.status, transition.rejected,
            transition.violations,
        )  # fmt: skip
    return await _persist(conn, ctx, writes, record, transition, command.now)


async def _persist(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    writes: RunWrites,
    record: RunRecord,
    transition: Transition,
    now: datetime,
) -> Applied:
    state, effects = transition.state, transition.effects

    async def start_child(
        c: asyncpg.Connection, w: RunWrites, e: StartChildRun, at: datetime
    ) -> None:
        await _start_child(c, ctx, w, e, at)

    for _ in range(MAX_INLINE_ACTIONS):
        inline = inline_request(ctx, effects)
        rest = [e for e in effects if e is not inline]
        await persist_effects(conn, ctx, writes, state, rest, now, start_child)
        if inline is None:
            break
        state, effects = await _answer_inline(conn, ctx, record, state, inline, now)
    else:
        await persist_effects(conn, ctx, writes, state, effects, now, start_child)
    envelope_meta = state.envelope.get("meta")
    meta_state = envelope_meta.get("state") if isinstance(envelope_meta, dict) else None
    update = RunUpdate(
        status=state.status.value,
        node_path=state.node_path or "root",
        state=meta_state if isinstance(meta_state, str) else None,
        run_state=state.model_dump(mode="json", by_alias=True),
        now=now,
        error=run_error(state, effects) if state.status.final else None,
        final=state.status.final,
    )
    writes.save(record.run_id, record.seq, update)
    if update.status == "FAILED" and record.status in concurrency.IN_FLIGHT:
        await auto_pause.after_failure(conn, ctx, record, now)  # before any key lock
    if concurrency.leaves_flight(record, update.final):
        await concurrency.slot_freed(conn, ctx, writes, record, now)
    concurrency.note(writes, record, update.status)
    if ctx.metrics is not None and update.final and record.status != update.status:
        took = (now - record.started_at).total_seconds()
        done = partial(ctx.metrics.run_completed, writes.tenant_id, str(record.workflow_id))
        after_commit(partial(done, update.status, took))
    if ctx.publish_run_updates and update.status != record.status:
        writes.message(status_update(ctx, writes.tenant_id, record, update))
    return Applied(str(record.run_id), "applied", state.status.value)


def status_update(
    ctx: EngineContext, tenant_id: str, record: RunRecord, update: RunUpdate
) -> OutboxMessage:
    """The ``wf.run-updates`` message of a status change (RUNNING -> WAITING -> RUNNING
    -> SUCCEEDED ...), for observers such as the API's live stream. Only changes: a run
    that goes straight from its start to its end costs one message, as before."""
    body = {
        "runId": str(record.run_id), "workflowId": str(record.workflow_id),
        "workflowVersion": record.workflow_version, "status": update.status,
        "previousStatus": record.status, "nodePath": update.node_path, "state": update.state,
        "error": update.error,
    }  # fmt: skip
    return run_update_message(ctx.topics, tenant_id, str(record.run_id), body, update.now)


async def _answer_inline(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    record: RunRecord,
    state: RunState,
    request: RequestAction,
    now: datetime,
) -> tuple[RunState, list[Effect]]:
    """Run a pure action here and apply its answer to the in-memory state."""
    command = await run_inline(conn, ctx, record.tenant_id, state.run_id, request, now)
    await record_command(conn, record.tenant_id, record.run_id, uuid.UUID(command.command_id))
    loaded = await ctx.definitions.load(
        conn, record.tenant_id, state.workflow_id, state.workflow_version
    )
    transition = advance(
        loaded.definition, state, command, registry=ctx.registry, limits=ctx.limits
    )
    return transition.state, transition.effects


async def _start_child(
    conn: asyncpg.Connection, ctx: EngineContext, writes: RunWrites, e: StartChildRun, now: datetime
) -> None:
    """Start the child in this transaction; a child that cannot start fails the step."""
    child = uuid.UUID(e.child_run_id)
    if child in writes.creations or await RunRepository(conn, writes.tenant_id).get(child):
        return  # started before (the id is deterministic)
    options = StartOptions(
        version=e.workflow_version, run_id=e.child_run_id,
        command_id=answer_id("start", e.child_run_id), trace_id=e.trace_id,
        parent_run_id=e.parent_run_id, parent_step_id=e.parent_step_id, call_depth=e.call_depth,
        now=now,
    )  # fmt: skip
    try:
        await start_with(conn, ctx, writes, e.workflow_id, e.payload, options)
    except (InvalidPayloadError, UnknownWorkflowError) as failed:
        error: dict[str, Any] = {"name": failed.code, "category": "ValidationError",
                                 "message": failed.message}  # fmt: skip
        done = ChildRunFinished(
            command_id=answer_id("child-finished", e.child_run_id), now=now,
            child_run_id=e.child_run_id, status=RunStatus.FAILED, error=error,
        )  # fmt: skip
        writes.message(command_message(ctx.topics, writes.tenant_id, e.parent_run_id, done))
