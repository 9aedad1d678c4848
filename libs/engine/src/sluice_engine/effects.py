"""Writing one transition's effects, in list order, inside the caller's transaction.

History rows and outbox messages are gathered in ``RunWrites`` and flushed in a
few statements at the end; waits and child runs are written as they come,
since later effects of the same list may depend on them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

import asyncpg
from sluice_storage import RunWrites, after_commit
from workflow_core.interpreter.commands import CancelRun, ChildRunFinished
from workflow_core.interpreter.effects import (
    AppendLog,
    AttemptStatus,
    CancelChildRun,
    Effect,
    FinishRun,
    RecordStepAttempt,
    RegisterWait,
    ReleaseWait,
    RequestAction,
    StartChildRun,
    WriteSnapshot,
)
from workflow_core.interpreter.program import program_for
from workflow_core.interpreter.state import RunState, RunStatus

from sluice_engine.context import EngineContext
from sluice_engine.history import record_log, record_snapshot, record_step
from sluice_engine.messages import (
    action_request_message,
    answer_id,
    command_message,
)
from sluice_engine.run_metrics import RunMetrics
from sluice_engine.waits import register_wait, release_wait

ChildStarter = Callable[[asyncpg.Connection, RunWrites, StartChildRun, datetime], Awaitable[None]]


async def persist_effects(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    writes: RunWrites,
    state: RunState,
    effects: list[Effect],
    now: datetime,
    start_child: ChildStarter,
) -> None:
    run_id = uuid.UUID(state.run_id)
    for effect in effects:
        if isinstance(effect, RecordStepAttempt):
            record_step(writes, run_id, effect)
            if ctx.metrics is not None:
                _observe_step(ctx.metrics, ctx, writes.tenant_id, state, effect)
        elif isinstance(effect, WriteSnapshot):
            record_snapshot(writes, run_id, effect)
        elif isinstance(effect, AppendLog):
            record_log(writes, run_id, effect, now)
        elif isinstance(effect, RegisterWait):
            await register_wait(conn, ctx, writes, run_id, effect, now)
        elif isinstance(effect, ReleaseWait):
            await release_wait(conn, writes, effect, now)
        elif isinstance(effect, RequestAction):
            writes.message(
                action_request_message(ctx.topics, writes.tenant_id, state.run_id, effect, now)
            )
        elif isinstance(effect, StartChildRun):
            await start_child(conn, writes, effect, now)
        elif isinstance(effect, CancelChildRun):
            cancel = CancelRun(
                command_id=answer_id("cancel", effect.child_run_id), now=now, reason=effect.reason
            )
            writes.message(
                command_message(ctx.topics, writes.tenant_id, effect.child_run_id, cancel)
            )
        elif isinstance(effect, FinishRun):
            _finished(ctx, writes, state, effect, now)


def _finished(
    ctx: EngineContext, writes: RunWrites, state: RunState, effect: FinishRun, now: datetime
) -> None:
    """Tell the parent (if any) that the run ended (observers: ``runs.status_update``)."""
    error = effect.error.envelope_form() if effect.error else None
    if state.parent_run_id is not None:
        done = ChildRunFinished(
            command_id=answer_id("child-finished", state.run_id),
            now=now,
            child_run_id=state.run_id,
            status=RunStatus(effect.status.value),
            envelope=state.envelope,
            error=error,
        )
        writes.message(command_message(ctx.topics, writes.tenant_id, state.parent_run_id, done))


def _observe_step(
    metrics: RunMetrics, ctx: EngineContext, tenant_id: str, state: RunState, e: RecordStepAttempt
) -> None:
    """A finished attempt's duration, and a retry's start, once committed."""
    loaded = ctx.definitions.cached(tenant_id, state.workflow_id, state.workflow_version)
    step = program_for(loaded.definition, ctx.registry).steps.get(e.node_path) if loaded else None
    node_type = step.type if step is not None else "unknown"
    if e.duration_ms is not None:
        observe = partial(metrics.step_finished, node_type, e.status.value, e.duration_ms / 1000)
        after_commit(observe)
    elif e.status is AttemptStatus.STARTED and e.attempt > 1:
        after_commit(partial(metrics.step_retried, tenant_id, state.workflow_id, node_type))


def run_error(state: RunState, effects: list[Effect]) -> dict[str, Any] | None:
    """The run's ``error`` column: the FinishRun error of this transition, if any."""
    for effect in effects:
        if isinstance(effect, FinishRun) and effect.error is not None:
            return effect.error.envelope_form()
    return None
