"""``transform.assign``: evaluate every expression, then write every result.

All or nothing: an expression error or a bad path leaves the envelope as it
was (SPEC section 6). Shared with ``event.wait``'s ``assign``.
"""

from __future__ import annotations

from typing import Any

from workflow_core.definitions import NodeStep
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.envelope import write_all
from workflow_core.interpreter.evaluation import resolve
from workflow_core.interpreter.failures import StepFailureError, validation_error
from workflow_core.interpreter.nodes.lifecycle import Outcome


def start(ctx: Ctx, step: NodeStep, path: str) -> Outcome:
    apply_assign(ctx, step.config.get("assign"), ctx.context(), path)
    return Outcome.DONE


def apply_assign(ctx: Ctx, assign: Any, context: dict[str, Any], path: str) -> None:
    if not isinstance(assign, dict):
        raise StepFailureError(validation_error("INVALID_CONFIG", "assign must be an object"))
    values = [
        (target, resolve(value, context, now=ctx.now, node_path=path))
        for target, value in assign.items()
    ]
    ctx.env = write_all(ctx.env, values)
