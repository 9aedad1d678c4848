"""resolve_exprs: Exprs nested anywhere are evaluated, everything else is a literal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from workflow_core.errors import ExpressionCode
from workflow_core.expressions import ExpressionError, expr, is_expr, resolve_exprs


def test_resolves_nested_exprs_and_keeps_literals(now: datetime, context: dict[str, Any]) -> None:
    config = {
        "title": expr("'Re: ' & payload.emailData.subject"),
        "static": {"n": 1, "list": [True, None, "x"]},
        "nested": [{"to": {"$expr": "payload.emailData.from"}}, expr("len(payload.items)")],
        "when": expr("nowIso()"),
        "missing": expr("payload.nothing"),
    }
    assert resolve_exprs(config, context, now=now) == {
        "title": "Re: Printer on fire",
        "static": {"n": 1, "list": [True, None, "x"]},
        "nested": [{"to": "ann@example.com"}, 2],
        "when": "2026-03-04T05:06:07.890Z",
        "missing": None,
    }


def test_top_level_expr_and_plain_scalars(now: datetime, context: dict[str, Any]) -> None:
    assert resolve_exprs(expr("meta.state"), context, now=now) == "NEW"
    assert resolve_exprs("payload.x", context, now=now) == "payload.x"
    assert resolve_exprs(3, context, now=now) == 3


@pytest.mark.parametrize(
    "value", [{"$expr": "1", "extra": 2}, {"$expr": 5}, {"$expr": None}, {"a": [{"$expr": []}]}]
)
def test_malformed_expr_objects_are_invalid(
    value: Any, now: datetime, context: dict[str, Any]
) -> None:
    with pytest.raises(ExpressionError) as caught:
        resolve_exprs(value, context, now=now)
    assert caught.value.code == ExpressionCode.INVALID_EXPR


def test_is_expr() -> None:
    assert is_expr({"$expr": "a"})
    assert not is_expr({"$expr": 1})
    assert not is_expr({"$expr": "a", "b": 1})
    assert not is_expr("a")


def test_errors_propagate_with_source(now: datetime, context: dict[str, Any]) -> None:
    with pytest.raises(ExpressionError) as caught:
        resolve_exprs({"a": [expr("$eval('1')")]}, context, now=now)
    assert caught.value.code == ExpressionCode.DISALLOWED_FUNCTION
    assert caught.value.source == "$eval('1')"
