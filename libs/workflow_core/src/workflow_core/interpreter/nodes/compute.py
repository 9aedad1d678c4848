"""Compute node types (NodeKind.COMPUTE): a pure handler over the resolved config.

The handler's JSON result is written at ``config.saveAs`` when given. A
``StepFailedError`` fails the step with its category; any other exception is a
bug in the handler and fails the step as a non-retryable ActionError rather
than crashing the interpreter.
"""

from __future__ import annotations

from pydantic import JsonValue

from workflow_core.definitions import NodeStep
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.envelope import write_all
from workflow_core.interpreter.evaluation import resolve
from workflow_core.interpreter.failures import StepFailureError, step_error
from workflow_core.interpreter.nodes.lifecycle import Outcome
from workflow_core.registry import NodeContext, NodeHandler, StepFailedError


def start(ctx: Ctx, step: NodeStep, path: str, handler: NodeHandler) -> Outcome:
    config = resolve(step.config, ctx.context(), now=ctx.now, node_path=path)
    assert isinstance(config, dict)
    result = _call(handler, config, _node_context(ctx, step, path))
    save_as = step.config.get("saveAs")
    if isinstance(save_as, str):
        ctx.env = write_all(ctx.env, [(save_as, result)])
    return Outcome.DONE


def _call(handler: NodeHandler, config: dict[str, JsonValue], context: NodeContext) -> JsonValue:
    try:
        return handler(config, context)
    except StepFailedError as failed:
        error = step_error(
            failed.category,
            failed.name,
            failed.message,
            retryable=failed.retryable,
            data=failed.data,
        )
    except Exception as crash:  # a handler bug must not stop the interpreter
        error = step_error(
            ErrorCategory.ACTION, "HANDLER_CRASHED", f"{type(crash).__name__}: {crash}"
        )
    raise StepFailureError(error)


def _node_context(ctx: Ctx, step: NodeStep, path: str) -> NodeContext:
    return NodeContext(
        tenant_id=ctx.state.tenant_id,
        run_id=ctx.state.run_id,
        step_id=step.id,
        node_path=path,
        now=ctx.now,
        loop_indexes=tuple(ctx.state.loop_indexes()),
    )
