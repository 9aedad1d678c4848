"""Step attempts, snapshots and waits: the history a step leaves behind.

Every step start is a STARTED row; its end is SUCCEEDED, FAILED,
RETRY_SCHEDULED or CANCELED with timestamps and duration (SPEC section 7).
Blocks (if, forEach, tryCatch, return) get one attempt spanning their body.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import (
    AttemptStatus,
    RecordStepAttempt,
    RegisterWait,
    ReleaseWait,
    WaitOutcome,
    WriteSnapshot,
)
from workflow_core.interpreter.failures import StepError
from workflow_core.interpreter.state import ActiveStep, OpenWait, RunStatus
from workflow_core.redaction import snapshot_envelope


def count_step(ctx: Ctx, node_path: str) -> None:
    ctx.steps_started += 1
    ctx.state.steps_run += 1
    ctx.state.node_path = node_path


def start_attempt(ctx: Ctx, step_id: str, node_path: str, attempt: int) -> None:
    """A node step (or callWorkflow) starts attempt ``attempt``."""
    count_step(ctx, node_path)
    loop = ctx.state.loop_indexes()
    ctx.state.active = ActiveStep(
        step_id=step_id, node_path=node_path, attempt=attempt, started_at=ctx.now, loop_indexes=loop
    )
    ctx.emit(_record(step_id, node_path, attempt, AttemptStatus.STARTED, loop, ctx.now))


def end_attempt(ctx: Ctx, status: AttemptStatus, error: StepError | None = None) -> ActiveStep:
    """Record the end of the active attempt; it stays active only while a retry is due."""
    active = ctx.state.active
    assert active is not None, "end_attempt without an active step"
    ctx.emit(
        _record(
            active.step_id,
            active.node_path,
            active.attempt,
            status,
            active.loop_indexes,
            active.started_at,
            finished_at=ctx.now,
            error=error,
        )
    )
    if status is not AttemptStatus.RETRY_SCHEDULED:
        ctx.state.active = None
    return active


def succeed_step(ctx: Ctx) -> None:
    """The active step succeeded: record it, move the cursor on, snapshot."""
    active = end_attempt(ctx, AttemptStatus.SUCCEEDED)
    ctx.frame.index += 1
    write_snapshot(ctx, active.node_path, active.step_id)


def block_started(ctx: Ctx, step_id: str, node_path: str) -> None:
    count_step(ctx, node_path)
    ctx.emit(
        _record(step_id, node_path, 1, AttemptStatus.STARTED, ctx.state.loop_indexes(), ctx.now)
    )


def block_ended(
    ctx: Ctx,
    step_id: str,
    node_path: str,
    started_at: datetime,
    loop: Sequence[int],
    status: AttemptStatus,
    error: StepError | None = None,
) -> None:
    ctx.emit(
        _record(step_id, node_path, 1, status, loop, started_at, finished_at=ctx.now, error=error)
    )


def write_snapshot(ctx: Ctx, node_path: str, step_id: str | None) -> None:
    """What operators see: the envelope redacted (SPEC section 10), then capped.

    ``meta.redactions`` already holds the payload's ``x-sensitive`` fields
    (``envelope.mark_sensitive_payload``) and the actions' sensitive outputs.
    """
    # built, not validated: the snapshot is a fresh JSON copy (validating it as a
    # JsonValue walked every node of the envelope once more)
    snapshot = WriteSnapshot.model_construct(
        node_path=node_path, step_id=step_id, at=ctx.now, envelope=snapshot_envelope(ctx.env)
    )
    ctx.emit(snapshot)


def open_wait(ctx: Ctx, effect: RegisterWait) -> None:
    """Park the run on a wait the shell will resolve, time out or fire."""
    ctx.state.waits.append(
        OpenWait(
            wait_id=effect.wait_id,
            kind=effect.kind,
            step_id=effect.step_id,
            node_path=effect.node_path,
            due_at=effect.due_at,
            child_run_id=effect.child_run_id,
        )
    )
    ctx.state.status = RunStatus.WAITING
    ctx.emit(effect)


def close_wait(ctx: Ctx, wait: OpenWait, outcome: WaitOutcome) -> None:
    ctx.state.waits = [w for w in ctx.state.waits if w.wait_id != wait.wait_id]
    ctx.emit(ReleaseWait(wait_id=wait.wait_id, kind=wait.kind, outcome=outcome))
    if not ctx.state.waits and ctx.state.status is RunStatus.WAITING:
        ctx.state.status = RunStatus.RUNNING


def _record(
    step_id: str,
    node_path: str,
    attempt: int,
    status: AttemptStatus,
    loop: Sequence[int],
    started_at: datetime,
    *,
    finished_at: datetime | None = None,
    error: StepError | None = None,
) -> RecordStepAttempt:
    duration = None
    if finished_at is not None:
        duration = max(0, round((finished_at - started_at).total_seconds() * 1000))
    return RecordStepAttempt(
        step_id=step_id,
        node_path=node_path,
        attempt=attempt,
        status=status,
        loop_indexes=list(loop),
        started_at=started_at,
        finished_at=finished_at,
        duration_ms=duration,
        error=error,
    )
