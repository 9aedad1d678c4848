"""``control.forEach``: items evaluated once and frozen in the run state.

``null`` gives no iteration, anything else but an array is a ValidationError.
The body runs once per item, in index order (``concurrency`` above 1 is
accepted and run as 1), with ``vars[itemVar]`` and ``vars[itemVar + "Index"]``
set; their previous values are kept in the frame and restored afterwards.
"""

from __future__ import annotations

import copy

from pydantic import JsonValue

from workflow_core.definitions import ForEachStep
from workflow_core.interpreter.blocks.entering import (
    block_done_at_once,
    block_failed,
    enter,
    push_branch,
)
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.evaluation import evaluate
from workflow_core.interpreter.failures import StepFailureError, validation_error
from workflow_core.interpreter.frames import loop_var_names, set_loop_vars


def run(ctx: Ctx, step: ForEachStep, path: str) -> None:
    enter(ctx, step, path)
    try:
        items = _items(ctx, step, path)
    except StepFailureError as failure:
        block_failed(ctx, step, path, failure.error)
        return
    if not items:
        block_done_at_once(ctx, step, path)
        return
    variables = ctx.env["vars"]
    saved = {n: copy.deepcopy(variables[n]) for n in loop_var_names(step) if n in variables}
    push_branch(ctx, step, path, "body", items=items, item_index=0, saved_vars=saved)
    set_loop_vars(ctx, step, items[0], 0)


def _items(ctx: Ctx, step: ForEachStep, path: str) -> list[JsonValue]:
    value = evaluate(step.items.source, ctx.context(), now=ctx.now, node_path=path)
    if value is None:
        return []
    if not isinstance(value, list):
        raise StepFailureError(
            validation_error(
                "ITEMS_NOT_ARRAY", f"forEach items must be an array, got {type(value).__name__}"
            )
        )
    return copy.deepcopy(value)
