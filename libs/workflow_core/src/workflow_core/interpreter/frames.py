"""What happens when a pipeline ends, when an error passes through it, and when
the run ends (SPEC sections 6 and 7).

- A branch that ends completes its block (a loop body moves to the next item
  first; a ``catch`` that completes, to its end or by ``control.return``,
  clears ``envelope.error``).
- An error bubbles from the innermost frame outwards: a ``try`` frame catches
  it, a loop body with ``onItemError: continue`` records it and moves on, any
  other frame closes FAILED; at the root the run ends FAILED.
- Loop variables are restored whenever a loop frame closes, however it closes.
"""

from __future__ import annotations

import copy
from typing import Any

from workflow_core.definitions import ForEachStep, TryCatchStep
from workflow_core.interpreter.attempts import block_ended, close_wait, end_attempt, write_snapshot
from workflow_core.interpreter.context import Ctx, is_root
from workflow_core.interpreter.effects import (
    AttemptStatus,
    CancelChildRun,
    FinalStatus,
    FinishRun,
    WaitKind,
    WaitOutcome,
)
from workflow_core.interpreter.failures import StepError
from workflow_core.interpreter.state import FailurePoint, Frame, RunStatus


def finish_frame(ctx: Ctx) -> None:
    """The top frame's pipeline ran to its end."""
    frame = ctx.frame
    if is_root(frame):
        finish_run(ctx, FinalStatus.SUCCEEDED)
        return
    step = ctx.program.steps[frame.block_path]
    if isinstance(step, ForEachStep) and next_item(ctx, frame, step):
        return
    close_frame(ctx, AttemptStatus.SUCCEEDED)
    ctx.frame.index += 1


def close_frame(ctx: Ctx, status: AttemptStatus, error: StepError | None = None) -> None:
    """Pop the top frame and record its block's end."""
    frame = ctx.state.frames.pop()
    step = ctx.program.steps[frame.block_path]
    if isinstance(step, ForEachStep):
        _restore_loop_vars(ctx, frame, step)
    if frame.branch == "catch" and status is AttemptStatus.SUCCEEDED:
        ctx.env["error"] = None  # the catch completed (to its end or by a return)
    assert frame.step_id is not None
    assert frame.started_at is not None
    loop = ctx.state.loop_indexes()
    block_ended(ctx, frame.step_id, frame.block_path, frame.started_at, loop, status, error)


def raise_error(ctx: Ctx, error: StepError, attempt: int = 1) -> None:
    """Bubble ``error`` from the step under the top frame's cursor (its ``attempt``)."""
    remember_failure_point(ctx, attempt)
    while True:
        frame = ctx.frame
        if is_root(frame):
            finish_run(ctx, FinalStatus.FAILED, error)
            return
        step = ctx.program.steps[frame.block_path]
        if isinstance(step, TryCatchStep) and frame.branch == "try":
            ctx.state.failure = None  # caught: nothing to retry
            _enter_catch(ctx, frame, step, error)
            return
        if isinstance(step, ForEachStep) and step.on_item_error == "continue":
            ctx.state.failure = None
            _record_item_error(ctx, frame, step, error)
            return
        close_frame(ctx, AttemptStatus.FAILED, error)


def remember_failure_point(ctx: Ctx, attempt: int) -> None:
    """Keep the cursor as it is before unwinding, so RetryRun can resume right here."""
    frames = [frame.model_copy(deep=True) for frame in ctx.state.frames]
    ctx.state.failure = FailurePoint(frames=frames, attempt=attempt)


def finish_run(ctx: Ctx, status: FinalStatus, error: StepError | None = None) -> None:
    """End the run: close open blocks and waits, snapshot, FinishRun."""
    retry_due = any(w.kind is WaitKind.RETRY for w in ctx.state.waits)
    if ctx.state.active is not None and not retry_due:
        end_attempt(ctx, AttemptStatus.CANCELED)
    ctx.state.active = None  # an attempt parked on a retry already ended RETRY_SCHEDULED
    for wait in list(ctx.state.waits):
        close_wait(ctx, wait, WaitOutcome.CANCELED)
        if wait.kind is WaitKind.CHILD_RUN and wait.child_run_id:
            ctx.emit(CancelChildRun(child_run_id=wait.child_run_id, reason="parent run ended"))
    block_status = AttemptStatus(status.value)
    while len(ctx.state.frames) > 1:
        close_frame(ctx, block_status, error)
    if error is not None:
        ctx.env["error"] = error.envelope_form()
    ctx.state.status = RunStatus(status.value)
    write_snapshot(ctx, ctx.state.node_path or "root", None)
    ctx.emit(FinishRun(status=status, at=ctx.now, error=error))


def next_item(ctx: Ctx, frame: Frame, step: ForEachStep) -> bool:
    """Move a loop frame to its next item; False when the items are exhausted."""
    items = frame.items or []
    if frame.item_index + 1 >= len(items):
        return False
    frame.item_index += 1
    frame.index = 0
    set_loop_vars(ctx, step, items[frame.item_index], frame.item_index)
    return True


def set_loop_vars(ctx: Ctx, step: ForEachStep, item: Any, index: int) -> None:
    variables = ctx.env["vars"]
    variables[step.item_var] = copy.deepcopy(item)
    variables[step.item_var + "Index"] = index


def loop_var_names(step: ForEachStep) -> tuple[str, str]:
    return (step.item_var, step.item_var + "Index")


def _restore_loop_vars(ctx: Ctx, frame: Frame, step: ForEachStep) -> None:
    variables, saved = ctx.env["vars"], frame.saved_vars or {}
    for name in loop_var_names(step):
        if name in saved:
            variables[name] = copy.deepcopy(saved[name])
        else:
            variables.pop(name, None)


def _enter_catch(ctx: Ctx, frame: Frame, step: TryCatchStep, error: StepError) -> None:
    """The error reached a ``try``: run ``catch`` with ``envelope.error`` set."""
    ctx.env["error"] = error.envelope_form()
    if step.capture_error_as:
        ctx.env["vars"][step.capture_error_as] = error.envelope_form()
    frame.branch, frame.index = "catch", 0


def _record_item_error(ctx: Ctx, frame: Frame, step: ForEachStep, error: StepError) -> None:
    """``onItemError: continue``: append ``{index, error}`` and go on with the next item."""
    variables, name = ctx.env["vars"], step.item_var + "Errors"
    if not isinstance(variables.get(name), list):
        variables[name] = []
    variables[name].append({"index": frame.item_index, "error": error.envelope_form()})
    # Past the body's end: the run loop then calls finish_frame -> next_item.
    frame.index = len(step.body)
