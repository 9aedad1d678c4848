"""RetryRun: an operator restarts a FAILED run at the step that failed (SPEC 13).

The cursor saved when the error started bubbling (``RunState.failure``) is put
back, loop variables are set again for the restored loops, ``envelope.error``
is cleared, optional payload/vars edits are applied, and the failed step runs
its next attempt. Idempotency keys derive from (run, step, loop indexes), so
they are the same as before: a side effect that did happen is not repeated.
The shell must accept a second ``FinishRun`` for the run.
"""

from __future__ import annotations

from workflow_core.definitions import ForEachStep
from workflow_core.definitions.paths import child_path
from workflow_core.interpreter import lanes
from workflow_core.interpreter.commands import RetryRun
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.drive import run_step
from workflow_core.interpreter.frames import set_loop_vars
from workflow_core.interpreter.rejection import CommandRejectedError
from workflow_core.interpreter.rerun import run_attempt
from workflow_core.interpreter.state import FailurePoint, Lane, RunStatus
from workflow_core.merge_patch import merge_patch


def on_retry_run(ctx: Ctx, command: RetryRun) -> None:
    state, failure = ctx.state, ctx.state.failure
    if state.status is not RunStatus.FAILED or failure is None:
        ctx.log("info", "retry ignored: only a failed run can be retried")
        return
    _check_from(failure, command.from_step_path)
    ctx.log("info", "run retried at its failed step", reason=command.reason)
    state.frames = [frame.model_copy(deep=True) for frame in failure.frames]
    if failure.outer_envelope is None:
        _apply_edits(ctx, command)
        _restore_loops(ctx)
    else:
        _reenter_items(ctx, failure, command)
    ctx.env["error"] = None
    state.status, state.failure = RunStatus.RUNNING, None
    path = ctx.cursor_path()
    if not run_attempt(ctx, path, failure.attempt + 1):
        run_step(ctx, ctx.program.steps[path], path)


def _check_from(failure: FailurePoint, from_step_path: str | None) -> None:
    """Only the failed step can be retried from: restarting an earlier one would run
    its attempts again under the numbers (and history rows) they already have."""
    if from_step_path is None or not failure.frames:
        return
    last = failure.frames[-1]
    failed = child_path(last.block_path, last.branch, last.index)
    if from_step_path != failed:
        raise CommandRejectedError(
            f"fromStepPath {from_step_path!r}: a run can be retried only from its failed "
            f"step, {failed!r} (earlier steps keep the history they recorded)"
        )


def _reenter_items(ctx: Ctx, failure: FailurePoint, command: RetryRun) -> None:
    """The error started inside parallel items: put each loop on the way back
    with its items as they were, and enter the items down to the failed step.

    The other items the loop canceled keep their cursor and envelope; their
    waits and actions were released, so each runs its interrupted step's next
    attempt when its loop reaches it (``for_each.coordinate``).
    """
    state = ctx.state
    rest = state.frames
    envelopes = [failure.outer_envelope or {}, *failure.lane_envelopes]
    state.frames, state.envelope = [], envelopes[0]
    _apply_edits(ctx, command)
    for envelope in envelopes[1:]:
        depth = next(i for i, frame in enumerate(rest) if lanes.is_coordinator(frame))
        state.frames.extend(rest[: depth + 1])
        loop, rest = state.frames[-1], rest[depth + 1 :]
        index = rest[0].item_index
        for other in loop.lanes or []:
            lanes.interrupt(other)
        lane = Lane(item_index=index, frames=[], envelope=envelope)
        loop.lanes = sorted(
            [*(x for x in loop.lanes or [] if x.item_index != index), lane],
            key=lambda x: x.item_index,
        )
        lanes.enter(ctx, lane)
        _apply_edits(ctx, command)
        step = ctx.program.steps[loop.block_path]
        assert isinstance(step, ForEachStep)
        set_loop_vars(ctx, step, (loop.items or [])[index], index)
    state.frames.extend(rest)


def _apply_edits(ctx: Ctx, command: RetryRun) -> None:
    envelope = dict(ctx.env)
    if command.payload is not None:
        envelope["payload"] = dict(command.payload)
    if command.vars is not None:
        envelope["vars"] = dict(command.vars)
    if command.payload_patch is not None:
        envelope["payload"] = merge_patch(envelope.get("payload"), command.payload_patch)
    if command.vars_patch is not None:
        envelope["vars"] = merge_patch(envelope.get("vars"), command.vars_patch)
    ctx.env = envelope


def _restore_loops(ctx: Ctx) -> None:
    for frame in ctx.state.frames:
        step = ctx.program.steps.get(frame.block_path)
        if isinstance(step, ForEachStep) and frame.branch == "body" and frame.items:
            set_loop_vars(ctx, step, frame.items[frame.item_index], frame.item_index)
