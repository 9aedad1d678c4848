"""Expressions as the interpreter uses them: failures become step values.

The core never passes a wall clock to the evaluator: only the deterministic
budget can stop an expression here, so a replay decides exactly as the first
run did, and a stopped expression is recorded as its step's ExpressionError.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import JsonValue

from workflow_core.errors import ErrorCategory
from workflow_core.expressions import ExpressionError, compile_expression, resolve_exprs
from workflow_core.interpreter.failures import StepError, StepFailureError, step_error


def evaluate(source: str, context: dict[str, Any], *, now: datetime, node_path: str) -> JsonValue:
    """The value of one expression, or StepFailureError(ExpressionError) at ``node_path``."""
    try:
        result: JsonValue = compile_expression(source).evaluate(context, now=now)
    except ExpressionError as error:
        raise StepFailureError(expression_failure(error, node_path)) from None
    return result


def resolve(value: Any, context: dict[str, Any], *, now: datetime, node_path: str) -> JsonValue:
    """``value`` with every nested ``{"$expr": ...}`` replaced by its result."""
    try:
        result: JsonValue = resolve_exprs(value, context, now=now)
    except ExpressionError as error:
        raise StepFailureError(expression_failure(error, node_path)) from None
    return result


def expression_failure(error: ExpressionError, node_path: str) -> StepError:
    error.node_path = node_path
    data: dict[str, JsonValue] = {"code": str(error.code), "source": error.source}
    if error.position is not None:
        data["position"] = error.position
    return step_error(ErrorCategory.EXPRESSION, str(error.code), error.message, data=data)


def truthy(value: Any) -> bool:
    """JSONata's boolean cast (``$boolean``): how ``control.if`` reads a non-boolean."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list):
        return any(truthy(item) for item in value)
    if isinstance(value, dict):
        return len(value) > 0
    return False
