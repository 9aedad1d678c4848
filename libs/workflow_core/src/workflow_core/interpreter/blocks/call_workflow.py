"""``control.callWorkflow``: start a child run, park, map its final envelope back.

The child's id derives from (parent run id, step id, loop indexes), so a
redelivered command never starts two children. ``workflowVersion`` absent means
"latest published": the shell resolves and records it when it starts the child.
A failed or canceled child raises a non-retryable ActionError carrying
``{childRunId, childError}``. Call depth is capped (RunLimits.max_call_depth).
"""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue

from workflow_core.definitions import CallWorkflowStep
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.attempts import open_wait, start_attempt, succeed_step
from workflow_core.interpreter.commands import ChildRunFinished
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import RegisterWait, StartChildRun, WaitKind
from workflow_core.interpreter.envelope import expression_context, write_all
from workflow_core.interpreter.evaluation import evaluate
from workflow_core.interpreter.failing import fail_step
from workflow_core.interpreter.failures import StepFailureError, step_error, validation_error
from workflow_core.interpreter.ids import child_run_id
from workflow_core.interpreter.state import RunStatus


def run(ctx: Ctx, step: CallWorkflowStep, path: str, attempt: int = 1) -> None:
    """Start the child; a retried run (attempt > 1) starts a new child, not the failed one."""
    start_attempt(ctx, step.id, path, attempt)
    try:
        payload = _child_payload(ctx, step, path)
    except StepFailureError as failure:
        fail_step(ctx, failure.error)
        return
    state = ctx.state
    identity = step.id if attempt == 1 else f"{step.id}#{attempt}"
    child_id = child_run_id(state.run_id, identity, state.loop_indexes())
    wait_id = ctx.next_id("wait")
    open_wait(
        ctx,
        RegisterWait(
            wait_id=wait_id,
            kind=WaitKind.CHILD_RUN,
            step_id=step.id,
            node_path=path,
            child_run_id=child_id,
        ),
    )
    ctx.emit(
        StartChildRun(
            child_run_id=child_id,
            workflow_id=step.workflow_id,
            workflow_version=step.workflow_version,
            payload=payload,
            call_depth=state.call_depth + 1,
            parent_run_id=state.run_id,
            parent_step_id=step.id,
            wait_id=wait_id,
            trace_id=ctx.env["meta"].get("traceId"),
        )
    )


def finished(ctx: Ctx, step: CallWorkflowStep, command: ChildRunFinished) -> None:
    """The child ended: map its envelope back, or fail the step."""
    try:
        _apply_child_result(ctx, step, command)
    except StepFailureError as failure:
        fail_step(ctx, failure.error)
        return
    succeed_step(ctx)


def _child_payload(ctx: Ctx, step: CallWorkflowStep, path: str) -> dict[str, JsonValue]:
    if ctx.state.call_depth + 1 > ctx.limits.max_call_depth:
        raise StepFailureError(
            validation_error(
                "CALL_DEPTH_EXCEEDED",
                f"call depth would exceed {ctx.limits.max_call_depth}",
                callDepth=ctx.state.call_depth,
            )
        )
    context = ctx.context()
    return {
        key: evaluate(expr.source, context, now=ctx.now, node_path=path)
        for key, expr in (step.input_mapping or {}).items()
    }


def _apply_child_result(ctx: Ctx, step: CallWorkflowStep, command: ChildRunFinished) -> None:
    if command.status is not RunStatus.SUCCEEDED:
        word = "canceled" if command.status is RunStatus.CANCELED else "failed"
        raise StepFailureError(
            step_error(
                ErrorCategory.ACTION,
                f"CHILD_RUN_{word.upper()}",
                f"child run {command.child_run_id} {word}",
                data={"childRunId": command.child_run_id, "childError": command.error},
            )
        )
    context: dict[str, Any] = expression_context(command.envelope or {})
    path = ctx.state.node_path or ""
    writes = [
        (target, evaluate(expr.source, context, now=ctx.now, node_path=path))
        for target, expr in (step.output_mapping or {}).items()
    ]
    ctx.env = write_all(ctx.env, writes)
