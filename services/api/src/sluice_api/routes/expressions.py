"""``/workflow/expressions/evaluate``: the designer's "try it" on the server.

The same sandbox and deterministic budget as a run step: an expression that a
run would stop (too much work, a disallowed function) is stopped here too, and
its failure is data in a 200 answer, because a failing expression is what the
author is asking about, not a failed request.
"""

from __future__ import annotations

from sluice_http import sluice_router
from workflow_core.expressions import ExpressionError, compile_expression

from sluice_api.deps import ContextDep, Viewer
from sluice_api.schemas.expressions import (
    ExpressionErrorPublic,
    ExpressionPreviewRequest,
    ExpressionPreviewResult,
)

router = sluice_router(prefix="/workflow/expressions", tags=["expressions"])


@router.post(
    "/evaluate",
    summary="Evaluate an expression against a sample envelope (same sandbox as runs)",
)
async def evaluate_expression(
    ctx: ContextDep, _: Viewer, body: ExpressionPreviewRequest
) -> ExpressionPreviewResult:
    context = {
        "payload": body.payload, "vars": body.vars, "meta": body.meta, "error": body.error,
    }  # fmt: skip
    if body.event is not None:
        context["event"] = body.event
    try:
        value = compile_expression(body.expression).evaluate(context, now=ctx.clock())
    except ExpressionError as error:
        return ExpressionPreviewResult(
            ok=False,
            error=ExpressionErrorPublic(
                code=str(error.code),
                message=error.message,
                position=error.position,
                jsonata_code=error.jsonata_code,
            ),
        )
    return ExpressionPreviewResult(ok=True, result=value)
