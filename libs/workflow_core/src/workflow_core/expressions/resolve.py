"""Expr values in definitions: ``{"$expr": "<source>"}`` nested anywhere in config."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypedDict, TypeGuard

from workflow_core.errors import ExpressionCode
from workflow_core.expressions.compile import compile_expression
from workflow_core.expressions.errors import ExpressionError
from workflow_core.expressions.evaluate import JsonInput
from workflow_core.expressions.json_value import JsonValue
from workflow_core.expressions.limits import DEFAULT_LIMITS, ExpressionLimits

EXPR_KEY = "$expr"

Expr = TypedDict("Expr", {"$expr": str})  # "$expr" is not an identifier


def expr(source: str) -> Expr:
    """Build an Expr value (for code that writes definitions)."""
    return {"$expr": source}


def is_expr(value: object) -> TypeGuard[Expr]:
    """Exactly ``{"$expr": <string>}``; any other object is a literal."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(EXPR_KEY), str)


def resolve_exprs(
    value: JsonValue,
    context: JsonInput,
    *,
    now: datetime,
    limits: ExpressionLimits = DEFAULT_LIMITS,
    clock: Callable[[], float] | None = None,
    bindings: Mapping[str, JsonValue] | None = None,
) -> JsonValue:
    """Replace every Expr nested in ``value`` by its result; other values are copied as literals.

    Each Expr gets its own budget. An object with a ``"$expr"`` key that is not
    exactly an Expr (extra keys, a non-string source) is an ``INVALID_EXPR``
    rather than a silent literal: it is almost certainly a typo.
    """

    def resolve(item: JsonValue) -> JsonValue:
        if isinstance(item, dict):
            if is_expr(item):
                compiled = compile_expression(item["$expr"])
                return compiled.evaluate(
                    context, now=now, limits=limits, clock=clock, bindings=bindings
                )
            if EXPR_KEY in item:
                raise ExpressionError(
                    ExpressionCode.INVALID_EXPR,
                    'an Expr is exactly {"$expr": "<JSONata source>"}',
                    source=str(item.get(EXPR_KEY)),
                )
            return {key: resolve(child) for key, child in item.items()}
        if isinstance(item, list):
            return [resolve(child) for child in item]
        return item

    return resolve(value)
