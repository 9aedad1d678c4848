"""``control.if``: a condition that fails is an ExpressionError; any other
result picks ``then`` or ``else`` by JSONata's truthiness."""

from __future__ import annotations

from workflow_core.definitions import IfStep
from workflow_core.interpreter.blocks.entering import block_failed, enter, push_branch
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.evaluation import evaluate, truthy
from workflow_core.interpreter.failures import StepFailureError


def run(ctx: Ctx, step: IfStep, path: str) -> None:
    enter(ctx, step, path)
    try:
        value = evaluate(step.condition.source, ctx.context(), now=ctx.now, node_path=path)
    except StepFailureError as failure:
        block_failed(ctx, step, path, failure.error)
        return
    push_branch(ctx, step, path, "then" if truthy(value) else "else")
