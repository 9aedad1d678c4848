"""Compile-time allowlist: bypass attempts are refused, plain JSONata stays usable."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from workflow_core.errors import ExpressionCode
from workflow_core.expressions import ALLOWED_FUNCTIONS, ExpressionError, compile_expression
from workflow_core.expressions.allowlist import FORBIDDEN_BUILTINS

BYPASS_ATTEMPTS = [
    "$eval('1+1')",
    "'1+1' ~> $eval",
    "($e := $eval; $e('1+1'))",
    "[$eval][0]('1+1')",
    "{'f': $eval}.f('1+1')",
    "$map(['1+1'], $eval)",
    "payload.$eval('1')",
    "$now()",
    "$millis()",
    "$random()",
    "$shuffle([1, 2])",
    "$clone({})",
    "$sort([2, 1], $random)",
    "function($x) { $x }(1)",
    "λ($x) { $x }(1)",
    "$map([1], function($v) { $v * 2 })",
    "($f := function() { 1 }; $f())",
    "$foo(1)",
    "$unknownFn",
    "($now := 5; $now)",
    "$__evaluate_entry",
    "($__evaluate_exit := null; [1..9999999])",
]


@pytest.mark.parametrize("source", BYPASS_ATTEMPTS)
def test_compile_rejects_bypass_attempt(source: str) -> None:
    if source == "$unknownFn":  # a bare unknown variable is a value (undefined), not a call
        assert compile_expression(source).source == source
        return
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert caught.value.code == ExpressionCode.DISALLOWED_FUNCTION
    assert caught.value.source == source
    assert caught.value.position is not None
    assert 0 <= caught.value.position <= len(source)


ALLOWED = [
    ("$", {"a": 1}, {"a": 1}),
    ("$$.a", {"a": 1}, 1),
    ("($x := 2; $x * a)", {"a": 3}, 6),
    ("($f := $uppercase; $f(s))", {"s": "ab"}, "AB"),
    ("$map(['a', 'b'], $uppercase)", {}, ["A", "B"]),
    ("$substring(?, 0, 2)('abcd')", {}, "ab"),
    ("items#$i[$i < 1].n", {"items": [{"n": 1}, {"n": 2}]}, 1),
    ("'$eval is just text'", {}, "$eval is just text"),
    ("`$eval`", {"$eval": 4}, 4),
    ("$reduce([1, 2, 3], $append)", {}, [1, 2, 3]),
    ("$sift({'a': 1, 'b': 0}, $boolean)", {}, {"a": 1}),
    ("s ~> $uppercase()", {"s": "x"}, "X"),
    ("$ ~> |$|{'b': 2}|", {"a": 1}, {"a": 1, "b": 2}),
]


@pytest.mark.parametrize(("source", "document", "expected"), ALLOWED)
def test_plain_jsonata_stays_usable(
    source: str, document: dict[str, Any], expected: Any, now: datetime
) -> None:
    assert compile_expression(source).evaluate(document, now=now) == expected


def test_allowlist_excludes_non_deterministic_and_eval() -> None:
    assert {"eval", "now", "millis", "random", "shuffle"} <= FORBIDDEN_BUILTINS
    assert ALLOWED_FUNCTIONS.isdisjoint(FORBIDDEN_BUILTINS)
    assert {"nowIso", "coalesce", "len", "toString", "append", "map", "sum"} <= ALLOWED_FUNCTIONS
    assert all(not name.startswith("$") for name in ALLOWED_FUNCTIONS)


@given(
    name=st.sampled_from(sorted(FORBIDDEN_BUILTINS)),
    template=st.sampled_from(
        ["${}()", "[1] ~> ${}", "($v := ${}; 1)", "$map([1], ${})", "{{'k': ${}}}", "a.${}(b)"]
    ),
)
def test_any_reference_to_a_forbidden_builtin_is_refused(name: str, template: str) -> None:
    source = template.format(name)
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert caught.value.code == ExpressionCode.DISALLOWED_FUNCTION


def test_disallowed_position_points_past_the_token() -> None:
    source = "payload.x & $eval('1')"
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert caught.value.position == source.index("$eval") + len("$eval")
