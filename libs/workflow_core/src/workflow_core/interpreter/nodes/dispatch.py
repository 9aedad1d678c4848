"""Run a node step: the built-in node types by name, any other through its handler."""

from __future__ import annotations

from workflow_core.definitions import NodeStep
from workflow_core.interpreter.attempts import start_attempt, succeed_step
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.failures import StepFailureError, validation_error
from workflow_core.interpreter.nodes import (
    action_call,
    assign,
    compute,
    delay,
    event_wait,
    human_task,
    state_set,
)
from workflow_core.interpreter.nodes.lifecycle import Outcome, fail_node

BUILTIN = {
    "state.set": state_set.start,
    "transform.assign": assign.start,
    "action.call": action_call.start,
    "event.wait": event_wait.start,
    "human.task": human_task.start,
    "timer.delay": delay.start,
}


def run_node(ctx: Ctx, step: NodeStep, path: str, attempt: int = 1) -> None:
    """Start attempt ``attempt`` of a node step; it finishes now or parks the run."""
    start_attempt(ctx, step.id, path, attempt)
    try:
        outcome = _start(ctx, step, path)
    except StepFailureError as failure:
        fail_node(ctx, step, failure.error)
        return
    if outcome is Outcome.DONE:
        succeed_step(ctx)


def _start(ctx: Ctx, step: NodeStep, path: str) -> Outcome:
    builtin = BUILTIN.get(step.type)
    if builtin is not None:
        return builtin(ctx, step, path)
    spec = ctx.program.registry.node_types.get(step.type)
    if spec is None or spec.handler is None:
        raise StepFailureError(
            validation_error("UNKNOWN_NODE_TYPE", f"no node type {step.type!r} is registered")
        )
    return compute.start(ctx, step, path, spec.handler)
