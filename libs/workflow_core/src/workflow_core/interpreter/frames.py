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
from workflow_core.interpreter import lanes
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
from workflow_core.interpreter.state import FailurePoint, Frame, Lane, RunStatus


def finish_frame(ctx: Ctx) -> None:
    """The top frame's pipeline ran to its end."""
    frame = ctx.frame
    if is_root(frame):
        finish_run(ctx, FinalStatus.SUCCEEDED)
        return
    if lanes.at_lane_root(ctx):  # a parallel item is done
        lanes.end_lane(ctx)
        return
    step = ctx.program.steps[frame.block_path]
    if isinstance(step, ForEachStep) and next_item(ctx, frame, step):
        return
    close_frame(ctx, AttemptStatus.SUCCEEDED)
    ctx.frame.index += 1


def close_frame(ctx: Ctx, status: AttemptStatus, error: StepError | None = None) -> None:
    """Pop the top frame and record its block's end.

    A parallel loop's coordinator first cancels its items still in flight, then
    merges what the finished ones wrote, in item order.
    """
    frame = ctx.frame
    step = ctx.program.steps[frame.block_path]
    if lanes.is_coordinator(frame) and isinstance(step, ForEachStep):
        for lane in list(frame.lanes or []):
            _cancel_lane(ctx, frame, lane)
        ctx.env = lanes.merge_results(ctx.env, frame, errors_var(step))
    ctx.state.frames.pop()
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
        if lanes.at_lane_root(ctx) and isinstance(step, ForEachStep):
            if _item_failed(ctx, lanes.coordinator(ctx), step, error):
                return
            continue  # past tolerance: the loop closes FAILED, the error goes on
        in_item = frame.branch == "body" and isinstance(step, ForEachStep)
        if in_item and isinstance(step, ForEachStep) and _item_failed(ctx, frame, step, error):
            return
        close_frame(ctx, AttemptStatus.FAILED, error)


def tolerates(step: ForEachStep, failed: int, total: int) -> bool:
    """Whether a loop goes on with ``failed`` of its ``total`` items failed.

    ``onItemError: continue`` tolerates every failure. With ``fail`` (the
    default) a loop tolerates ``toleratedFailureCount`` items and, when given,
    ``toleratedFailurePercentage`` of its items; the first failure past either
    threshold fails the loop (Step Functions' Map). Neither given: none.
    """
    if step.on_item_error == "continue":
        return True
    count, percentage = step.tolerated_failure_count, step.tolerated_failure_percentage
    if count is None and percentage is None:
        return False
    within_count = count is None or failed <= count
    within_percentage = percentage is None or failed * 100 <= percentage * total
    return within_count and within_percentage


def _item_failed(ctx: Ctx, loop: Frame, step: ForEachStep, error: StepError) -> bool:
    """An item's error reached its loop: record it and go on if tolerated (True)."""
    total = len(loop.items or [])
    loop.failed_items += 1
    tolerated = tolerates(step, loop.failed_items, total)
    if tolerated:
        ctx.state.failure = None
    if lanes.at_lane_root(ctx):
        lanes.end_lane(ctx, error.envelope_form() if tolerated else None)
        return tolerated
    if tolerated:
        _record_item_error(ctx, loop, step, error)
    return tolerated


def remember_failure_point(ctx: Ctx, attempt: int) -> None:
    """Keep the cursor as it is before unwinding, so RetryRun can resume right here."""
    frames = [frame.model_copy(deep=True) for frame in ctx.state.frames]
    point = FailurePoint(frames=frames, attempt=attempt)
    if ctx.entered:
        point.outer_envelope = copy.deepcopy(ctx.entered[0].outer_envelope)
        inner = [entry.outer_envelope for entry in ctx.entered[1:]] + [ctx.env]
        point.lane_envelopes = [copy.deepcopy(envelope) for envelope in inner]
    ctx.state.failure = point


def finish_run(ctx: Ctx, status: FinalStatus, error: StepError | None = None) -> None:
    """End the run: close open blocks, waits and parallel items, snapshot, FinishRun.

    Ended inside a parallel item (``control.return``, the step limit), the
    item counts as finished (its writes are kept) and its loop's other items
    are canceled as the loop closes.
    """
    block_status = AttemptStatus(status.value)
    while ctx.entered:
        close_cursor(ctx, block_status, error, keep=ctx.entered[-1].depth + 2)
        lanes.end_lane(ctx)
    close_cursor(ctx, block_status, error, keep=1)
    if error is not None:
        ctx.env["error"] = error.envelope_form()
    ctx.state.status = RunStatus(status.value)
    write_snapshot(ctx, ctx.state.node_path or "root", None)
    ctx.emit(FinishRun(status=status, at=ctx.now, error=error))


def close_cursor(
    ctx: Ctx, block_status: AttemptStatus, error: StepError | None, *, keep: int
) -> None:
    """Stop the cursor: its attempt CANCELED, its waits released, its action
    abandoned, its frames above ``keep`` closed with ``block_status``."""
    state = ctx.state
    retry_due = any(w.kind is WaitKind.RETRY for w in state.waits)
    if state.active is not None and not retry_due:
        end_attempt(ctx, AttemptStatus.CANCELED)
    state.active = None  # an attempt parked on a retry already ended RETRY_SCHEDULED
    if state.pending_action is not None:
        state.abandoned_request_id = state.pending_action.request_id
        state.pending_action = None
    for wait in list(state.waits):
        close_wait(ctx, wait, WaitOutcome.CANCELED)
        if wait.kind is WaitKind.CHILD_RUN and wait.child_run_id:
            ctx.emit(CancelChildRun(child_run_id=wait.child_run_id, reason="parent run ended"))
    while len(state.frames) > keep:
        close_frame(ctx, block_status, error)


def _cancel_lane(ctx: Ctx, loop: Frame, lane: Lane) -> None:
    """Stop an item in flight: it leaves no writes and no result."""
    lanes.enter(ctx, lane)
    close_cursor(ctx, AttemptStatus.CANCELED, None, keep=ctx.entered[-1].depth + 2)
    lanes.leave(ctx)
    loop.lanes = [other for other in loop.lanes or [] if other is not lane]


def errors_var(step: ForEachStep) -> str:
    return step.item_var + "Errors"


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
    variables, name = ctx.env["vars"], errors_var(step)
    if not isinstance(variables.get(name), list):
        variables[name] = []
    variables[name].append({"index": frame.item_index, "error": error.envelope_form()})
    # Past the body's end: the run loop then calls finish_frame -> next_item.
    frame.index = len(step.body)
