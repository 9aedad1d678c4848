"""The run loop: run steps top to bottom until the run parks or ends.

A run parks when a step waits for the shell (an action result, an event, a
person, a child run, a retry timer). At most ``max_steps_per_command`` steps
start inside one command; past that the run fails with STEP_LIMIT_EXCEEDED
rather than spinning inside one ``advance``.
"""

from __future__ import annotations

from workflow_core.definitions import (
    AnyStep,
    CallWorkflowStep,
    ForEachStep,
    IfStep,
    NodeStep,
    ReturnStep,
    TryCatchStep,
)
from workflow_core.interpreter import lanes
from workflow_core.interpreter.blocks import (
    call_workflow,
    for_each,
    if_block,
    return_block,
    try_catch,
)
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import FinalStatus
from workflow_core.interpreter.failures import validation_error
from workflow_core.interpreter.frames import finish_frame, finish_run, remember_failure_point
from workflow_core.interpreter.nodes.dispatch import run_node
from workflow_core.interpreter.state import RunStatus


def drive(ctx: Ctx) -> None:
    """Run the cursor until the run parks or ends.

    Inside a parallel item, a parked item is swapped back out (``lanes.leave``)
    and its loop goes on (``for_each.coordinate``): it starts the next items or
    closes. A loop with nothing to start parks the cursor that reached it.
    """
    state = ctx.state
    while not state.status.final:
        if state.status is not RunStatus.RUNNING or state.pending_action is not None:
            if lanes.leave(ctx):
                continue
            return
        frame = ctx.frame
        if lanes.is_coordinator(frame):
            if for_each.coordinate(ctx, frame):
                continue
            if lanes.leave(ctx):  # its items wait: so does the item it runs in
                continue
            lanes.settle(ctx)
            return
        pipeline = ctx.program.pipeline(frame.block_path, frame.branch)
        if frame.index >= len(pipeline):
            finish_frame(ctx)
            continue
        if ctx.steps_started >= ctx.limits.max_steps_per_command:
            _fail_step_limit(ctx, pipeline[frame.index])
            return
        run_step(ctx, pipeline[frame.index], ctx.cursor_path())


def run_step(ctx: Ctx, step: AnyStep, path: str) -> None:
    if isinstance(step, NodeStep):
        run_node(ctx, step, path)
    elif isinstance(step, IfStep):
        if_block.run(ctx, step, path)
    elif isinstance(step, ForEachStep):
        for_each.run(ctx, step, path)
    elif isinstance(step, TryCatchStep):
        try_catch.run(ctx, step, path)
    elif isinstance(step, CallWorkflowStep):
        call_workflow.run(ctx, step, path)
    elif isinstance(step, ReturnStep):
        return_block.run(ctx, step, path)


def _fail_step_limit(ctx: Ctx, step: AnyStep) -> None:
    limit = ctx.limits.max_steps_per_command
    error = validation_error(
        "STEP_LIMIT_EXCEEDED",
        f"more than {limit} steps ran in one command; the definition loops too much",
        limit=limit,
    ).located(node_path=ctx.cursor_path(), step_id=step.id, at=ctx.now)
    remember_failure_point(ctx, 1)
    finish_run(ctx, FinalStatus.FAILED, error)
