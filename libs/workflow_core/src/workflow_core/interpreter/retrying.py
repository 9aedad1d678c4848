"""RetryRun: an operator restarts a FAILED run at the step that failed (SPEC 13).

The cursor saved when the error started bubbling (``RunState.failure``) is put
back, loop variables are set again for the restored loops, ``envelope.error``
is cleared, optional payload/vars edits are applied, and the failed step runs
its next attempt. Idempotency keys derive from (run, step, loop indexes), so
they are the same as before: a side effect that did happen is not repeated.
The shell must accept a second ``FinishRun`` for the run.
"""

from __future__ import annotations

from workflow_core.definitions import CallWorkflowStep, ForEachStep, NodeStep
from workflow_core.interpreter.blocks import call_workflow
from workflow_core.interpreter.commands import RetryRun
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.drive import run_step
from workflow_core.interpreter.frames import set_loop_vars
from workflow_core.interpreter.nodes.dispatch import run_node
from workflow_core.interpreter.state import RunStatus


def on_retry_run(ctx: Ctx, command: RetryRun) -> None:
    state, failure = ctx.state, ctx.state.failure
    if state.status is not RunStatus.FAILED or failure is None:
        ctx.log("info", "retry ignored: only a failed run can be retried")
        return
    ctx.log("info", "run retried at its failed step", reason=command.reason)
    _apply_edits(ctx, command)
    state.frames = [frame.model_copy(deep=True) for frame in failure.frames]
    _restore_loops(ctx)
    ctx.env["error"] = None
    state.status, state.failure = RunStatus.RUNNING, None
    path = ctx.cursor_path()
    step = ctx.program.steps[path]
    if isinstance(step, NodeStep):
        run_node(ctx, step, path, failure.attempt + 1)
    elif isinstance(step, CallWorkflowStep):
        call_workflow.run(ctx, step, path, failure.attempt + 1)
    else:
        run_step(ctx, step, path)


def _apply_edits(ctx: Ctx, command: RetryRun) -> None:
    envelope = dict(ctx.env)
    if command.payload is not None:
        envelope["payload"] = dict(command.payload)
    if command.vars is not None:
        envelope["vars"] = dict(command.vars)
    ctx.env = envelope


def _restore_loops(ctx: Ctx) -> None:
    for frame in ctx.state.frames:
        step = ctx.program.steps.get(frame.block_path)
        if isinstance(step, ForEachStep) and frame.branch == "body" and frame.items:
            set_loop_vars(ctx, step, frame.items[frame.item_index], frame.item_index)
