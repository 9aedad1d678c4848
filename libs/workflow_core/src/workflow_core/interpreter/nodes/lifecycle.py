"""Start, resume and fail a node step: shared by every node module.

A node's ``start`` returns DONE (finished synchronously) or PARKED (it asked
the shell for something: an action, an event, a person). Its resume function
runs when the answer arrives. Either may raise ``StepFailureError``, which becomes a
failed attempt here, with the step's retry policy and ``onError``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from workflow_core.definitions import NodeStep, RetryPolicy
from workflow_core.interpreter.attempts import succeed_step
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.failing import OnError, fail_step
from workflow_core.interpreter.failures import StepError, StepFailureError
from workflow_core.interpreter.retries import choose_policy

ACTION_CALL = "action.call"


class Outcome(Enum):
    DONE = "done"
    PARKED = "parked"


def fail_node(ctx: Ctx, step: NodeStep, error: StepError) -> None:
    fail_step(ctx, error, policy=node_policy(ctx, step), on_error=node_on_error(step))


def resume_node(ctx: Ctx, step: NodeStep, work: Callable[[], None]) -> None:
    """Finish the active, parked node step with ``work`` (it may raise StepFailureError)."""
    try:
        work()
    except StepFailureError as failure:
        fail_node(ctx, step, failure.error)
        return
    succeed_step(ctx)


def node_policy(ctx: Ctx, step: NodeStep) -> RetryPolicy | None:
    """The step's ``retry``, else the action's retry hint, else the node type's default."""
    registry = ctx.program.registry
    hint = None
    if step.type == ACTION_CALL:
        action_id, version = step.config.get("actionId"), step.config.get("version")
        if isinstance(action_id, str) and isinstance(version, int):
            spec = registry.actions.get(action_id, version)
            hint = spec.retry_hint if spec else None
    node_type = registry.node_types.get(step.type)
    return choose_policy(step.retry, hint, node_type.default_retry if node_type else None)


def node_on_error(step: NodeStep) -> OnError:
    """Step-level ``onError`` wins over ``action.call``'s ``config.onError`` (SPEC 3)."""
    if step.on_error is not None:
        return step.on_error.policy
    inline = step.config.get("onError") if step.type == ACTION_CALL else None
    if isinstance(inline, dict) and inline.get("policy") == "continue":
        return "continue"
    return "fail"
