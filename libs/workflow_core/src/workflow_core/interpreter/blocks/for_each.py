"""``control.forEach``: items are evaluated once and frozen in the run state.

``null`` gives no iteration, anything else but an array is a ValidationError.
The body runs once per item with ``vars[itemVar]`` and ``vars[itemVar + "Index"]``
set; their previous values are kept in the loop's frame and restored afterwards.

One loop, two ways of holding the items in flight (``concurrency``):

- **1** (the default): the loop's ``body`` frame is on the run's cursor and runs
  the items one after the other, in index order, on the run's envelope: an item
  sees what the items before it wrote.
- **N > 1**: the loop's frame is a *coordinator* (branch ``lanes``). It starts
  items in index order while fewer than N are in flight, each as a lane
  (``interpreter/lanes.py``): a cursor of its own that parks and resumes on its
  own commands. An item runs on a copy of the envelope as it was when the loop
  started (plus its loop variables) and does not see the other items' writes;
  when the loop closes, the finished items' writes (top-level keys of
  ``payload``, ``vars``, ``meta``) are applied in item order, so whatever order
  the items finished in, the envelope afterwards is the same, and is what
  running them one at a time gives when items write disjoint keys or only
  set values (last item wins). An accumulation across items
  (``vars.total = vars.total + ...``) needs concurrency 1.
  The items still to start are ``item_index`` onwards and the items in flight
  are the lanes, both in the stored state: after a crash exactly the
  unfinished items go on, none starts twice. Every id (idempotency keys, child
  run ids, attempt rows' ``loopIndexes``) includes the item index, as before.
  While items are in flight the run's ``nodePath`` is the loop's path; the
  step history (``loopIndexes``) tells where each item is.

Failures (both modes): an error that reaches the loop from an item (after the
step's retries, ``onError`` and any ``tryCatch`` inside the body) is
*tolerated* with ``onItemError: "continue"`` (always) or, with ``"fail"`` (the
default), while no more than ``toleratedFailureCount`` items and no more than
``toleratedFailurePercentage`` percent of the items failed (each threshold
only when given; neither given: none tolerated). A tolerated failure appends
``{index, error}`` to ``vars[itemVar + "Errors"]`` (in item order) and the loop
goes on. The first failure past a threshold fails the loop: items still in
flight are canceled (their attempts CANCELED, waits released, child runs
canceled, actions abandoned), the finished items' writes are kept, and the
error bubbles on. ``control.return`` inside an item ends the run the same way,
with SUCCEEDED.
"""

from __future__ import annotations

import copy

from pydantic import JsonValue

from workflow_core.definitions import ForEachStep
from workflow_core.interpreter import lanes
from workflow_core.interpreter.blocks.entering import (
    block_done_at_once,
    block_failed,
    enter,
    push_branch,
)
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import AttemptStatus
from workflow_core.interpreter.evaluation import evaluate
from workflow_core.interpreter.failures import StepFailureError, validation_error
from workflow_core.interpreter.frames import close_frame, loop_var_names, set_loop_vars
from workflow_core.interpreter.rerun import run_attempt
from workflow_core.interpreter.state import LANES, Frame, Lane


def run(ctx: Ctx, step: ForEachStep, path: str) -> None:
    enter(ctx, step, path)
    try:
        items = _items(ctx, step, path)
    except StepFailureError as failure:
        block_failed(ctx, step, path, failure.error)
        return
    if not items:
        block_done_at_once(ctx, step, path)
        return
    variables = ctx.env["vars"]
    saved = {n: copy.deepcopy(variables[n]) for n in loop_var_names(step) if n in variables}
    if step.concurrency > 1:
        push_branch(ctx, step, path, LANES, items=items, saved_vars=saved, lanes=[], results=[])
        return
    push_branch(ctx, step, path, "body", items=items, item_index=0, saved_vars=saved)
    set_loop_vars(ctx, step, items[0], 0)


def coordinate(ctx: Ctx, loop: Frame) -> bool:
    """The cursor is at a parallel loop: start its next item (entering it), or
    close the loop when every item finished. False: N items in flight, or the
    last ones, so the cursor parks here."""
    step = ctx.program.steps[loop.block_path]
    assert isinstance(step, ForEachStep)
    items, in_flight = loop.items or [], loop.lanes or []
    for lane in in_flight:
        if not lanes.stalled(ctx, lane):
            _resume_item(ctx, lane)
            return True
    if len(in_flight) < step.concurrency and loop.item_index < len(items):
        _start_item(ctx, loop, step)
        return True
    if in_flight:
        return False
    close_frame(ctx, AttemptStatus.SUCCEEDED)
    ctx.frame.index += 1
    return True


def _resume_item(ctx: Ctx, lane: Lane) -> None:
    """Enter an item with work to do: after RetryRun, an item the failed loop had
    canceled runs its interrupted step's next attempt (same idempotency key)."""
    lanes.enter(ctx, lane)
    active = ctx.state.active
    if active is not None:
        run_attempt(ctx, active.node_path, active.attempt + 1)


def _start_item(ctx: Ctx, loop: Frame, step: ForEachStep) -> None:
    index = loop.item_index
    loop.item_index += 1
    envelope = copy.deepcopy(ctx.env)
    body = Frame(
        block_path=loop.block_path,
        branch="body",
        step_id=step.id,
        started_at=ctx.now,
        item_index=index,
    )
    lane = Lane(item_index=index, frames=[body], envelope=envelope)
    loop.lanes = [*(loop.lanes or []), lane]
    lanes.enter(ctx, lane)
    set_loop_vars(ctx, step, (loop.items or [])[index], index)


def _items(ctx: Ctx, step: ForEachStep, path: str) -> list[JsonValue]:
    value = evaluate(step.items.source, ctx.context(), now=ctx.now, node_path=path)
    if value is None:
        return []
    if not isinstance(value, list):
        raise StepFailureError(
            validation_error(
                "ITEMS_NOT_ARRAY", f"forEach items must be an array, got {type(value).__name__}"
            )
        )
    return copy.deepcopy(value)
