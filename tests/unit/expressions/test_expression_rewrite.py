"""Source rewrites (``==``, bare helpers) and mapping positions back to the author's text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from workflow_core.errors import ExpressionCode
from workflow_core.expressions import ExpressionError, compile_expression
from workflow_core.expressions.rewrite import rewrite


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a == 1", "a = 1"),
        ("a==1 and b == 2", "a=1 and b = 2"),
        ("a != 1", "a != 1"),
        ("a <= 1", "a <= 1"),
        ("'a == b'", "'a == b'"),
        ('"it\\"s == x"', '"it\\"s == x"'),
        ("/* a == b */ c", "/* a == b */ c"),
        ("$match(s, /a==b/)", "$match(s, /a==b/)"),
        ("x / 2 == 1", "x / 2 = 1"),
        ("len(x)", "$len(x)"),
        ("len (x)", "$len (x)"),
        ("payload.len", "payload.len"),
        ("payload.len(x)", "payload.$len(x)"),
        ("$len(x)", "$len(x)"),
        ("`len`(x)", "`len`(x)"),
        ("'len(x)'", "'len(x)'"),
        ("lens(x)", "lens(x)"),
        ("coalesce(a, toString(b)) & nowIso()", "$coalesce(a, $toString(b)) & $nowIso()"),
        ("append(vars.l, 1)", "$append(vars.l, 1)"),
    ],
)
def test_rewrite_touches_tokens_only(source: str, expected: str) -> None:
    assert rewrite(source).text == expected


@given(st.text(alphabet=st.sampled_from(list("ab $.()[]{}'\"/*=<>!: 1-+lenoc,\\`")), max_size=40))
def test_rewrite_offsets_are_monotonic_and_in_range(source: str) -> None:
    rewritten = rewrite(source)
    offsets = rewritten.offsets
    assert len(offsets) == len(rewritten.text) + 1
    assert list(offsets) == sorted(offsets)
    assert offsets[-1] == len(source)
    assert all(0 <= offset <= len(source) for offset in offsets)


@given(st.text(alphabet=st.sampled_from(list("abxyz .()[]'\"1+-*,")), max_size=40))
def test_rewrite_without_targets_is_identity(source: str) -> None:
    rewritten = rewrite(source)
    assert rewritten.text == source
    assert rewritten.offsets == tuple(range(len(source) + 1))


@pytest.mark.parametrize(
    ("source", "token"),
    [
        ("len(x) == 1 and ]", "]"),
        ("coalesce(a, b) == == 2", "=="),
        ("nowIso() & )", ")"),
    ],
)
def test_syntax_error_position_refers_to_authors_source(source: str, token: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    error = caught.value
    assert error.code == ExpressionCode.INVALID_EXPR
    assert error.jsonata_code is not None
    start = source.rindex(token)
    assert error.position is not None
    assert start <= error.position <= start + len(token)


def test_runtime_error_position_refers_to_authors_source(now: datetime) -> None:
    source = "len(payload.x) == 0 and payload.s + 1"
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source).evaluate({"payload": {"s": "text"}}, now=now)
    assert caught.value.code == ExpressionCode.EVALUATION_FAILED
    assert caught.value.jsonata_code == "T2001"
    assert caught.value.position == source.index("+") + 1


def test_double_equals_is_equality(now: datetime, context: dict[str, Any]) -> None:
    compiled = compile_expression("payload.emailData.subject == 'Printer on fire'")
    assert compiled.evaluate(context, now=now) is True
