"""JSONata expressions, sandboxed (SPEC section 5).

``compile_expression(source)`` parses and checks an expression once (cached
by source); ``CompiledExpression.evaluate(context, now=...)`` runs it under a
deterministic budget and returns plain JSON. ``read_paths`` lists the fields
an expression reads; ``resolve_exprs`` resolves ``{"$expr": ...}`` values
nested in a config. Every failure is an ``ExpressionError`` with a stable
``ExpressionCode``.
"""

from __future__ import annotations

from workflow_core.expressions.allowlist import ALLOWED_FUNCTIONS
from workflow_core.expressions.compile import CompiledExpression, compile_expression
from workflow_core.expressions.errors import ExpressionError
from workflow_core.expressions.evaluate import JsonInput
from workflow_core.expressions.json_value import JsonValue
from workflow_core.expressions.limits import DEFAULT_LIMITS, ExpressionLimits
from workflow_core.expressions.resolve import EXPR_KEY, Expr, expr, is_expr, resolve_exprs


def read_paths(expression: str | CompiledExpression) -> set[tuple[str, ...]]:
    """Field paths ``expression`` reads, rooted at the context names (see ``paths``)."""
    compiled = compile_expression(expression) if isinstance(expression, str) else expression
    return set(compiled.read_paths)


__all__ = [
    "ALLOWED_FUNCTIONS",
    "DEFAULT_LIMITS",
    "EXPR_KEY",
    "CompiledExpression",
    "Expr",
    "ExpressionError",
    "ExpressionLimits",
    "JsonInput",
    "JsonValue",
    "compile_expression",
    "expr",
    "is_expr",
    "read_paths",
    "resolve_exprs",
]
