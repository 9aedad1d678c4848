"""``state.set``: sets ``meta.state``, the run's business state (SPEC section 6)."""

from __future__ import annotations

from workflow_core.definitions import NodeStep, is_expr
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.envelope import write_all
from workflow_core.interpreter.evaluation import evaluate
from workflow_core.interpreter.failures import StepFailureError, validation_error
from workflow_core.interpreter.nodes.lifecycle import Outcome


def start(ctx: Ctx, step: NodeStep, path: str) -> Outcome:
    state = step.config.get("state")
    if is_expr(state):
        state = evaluate(state["$expr"], ctx.context(), now=ctx.now, node_path=path)
    if not isinstance(state, str) or not state:
        problem = validation_error("INVALID_STATE", "state must be a non-empty string")
        raise StepFailureError(problem)
    ctx.env = write_all(ctx.env, [("meta.state", state)])
    return Outcome.DONE
