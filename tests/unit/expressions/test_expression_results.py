"""Results are plain JSON copies, within the output cap; undefined becomes null."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from workflow_core.errors import ExpressionCode
from workflow_core.expressions import DEFAULT_LIMITS, ExpressionError, compile_expression

NOW = datetime(2026, 1, 1, tzinfo=UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


@given(value=json_values)
def test_document_round_trips_as_plain_json(value: Any) -> None:
    result = compile_expression("$$.doc").evaluate({"doc": value}, now=NOW)
    assert json.dumps(result, sort_keys=True) == json.dumps(value, sort_keys=True)


@given(value=json_values)
def test_evaluation_never_mutates_the_context(value: Any) -> None:
    context = {"payload": {"v": value, "l": [value, value]}}
    before = copy.deepcopy(context)
    for source in ("payload.l", "$append(payload.l, 1)", "$sort(payload.l.$string())", "payload"):
        result = compile_expression(source).evaluate(context, now=NOW)
        if isinstance(result, dict | list):
            result.clear()  # a copy: clearing it must not touch the context
    assert context == before


def test_undefined_result_is_none(now: datetime, context: dict[str, Any]) -> None:
    assert compile_expression("payload.nothing.here").evaluate(context, now=now) is None


def test_result_types_are_plain(now: datetime, context: dict[str, Any]) -> None:
    result = compile_expression("[1..3]").evaluate(context, now=now)
    assert type(result) is list
    assert result == [1, 2, 3]


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("$uppercase", "a function"),
        ("{'f': $string}", "a function"),
        ("$substring(?, 1)", "a function"),
        ("/a/('a')", "a function"),
        ("/re/", "a regular expression"),
    ],
)
def test_non_json_result_is_refused(
    source: str, what: str, now: datetime, context: dict[str, Any]
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source).evaluate(context, now=now)
    assert caught.value.code == ExpressionCode.NOT_JSON
    assert what in caught.value.message


def test_result_over_the_output_cap_is_refused(now: datetime) -> None:
    context = {"payload": {"body": "x" * 1000}}
    compiled = compile_expression("[1..300].($$.payload.body)")
    with pytest.raises(ExpressionError) as caught:
        compiled.evaluate(context, now=now)
    assert caught.value.code == ExpressionCode.OUTPUT_TOO_LARGE
    small = replace(DEFAULT_LIMITS, max_output_bytes=100)
    with pytest.raises(ExpressionError):
        compile_expression("payload.body").evaluate(context, now=now, limits=small)
    assert compile_expression("[1..200].($$.payload.body)").evaluate(context, now=now) is not None


def test_output_cap_counts_utf8_bytes_of_compact_json(now: datetime) -> None:
    text = "é" * 100  # 200 bytes + 2 quotes
    exact = replace(DEFAULT_LIMITS, max_output_bytes=202)
    assert compile_expression("t").evaluate({"t": text}, now=now, limits=exact) == text
    with pytest.raises(ExpressionError) as caught:
        compile_expression("t").evaluate(
            {"t": text}, now=now, limits=replace(exact, max_output_bytes=201)
        )
    assert caught.value.code == ExpressionCode.OUTPUT_TOO_LARGE


def test_engine_errors_become_evaluation_failed(now: datetime, context: dict[str, Any]) -> None:
    for source in ("$number('abc')", "1 / 0 & ''", "$error('boom')", "$assert(false, 'no')"):
        with pytest.raises(ExpressionError) as caught:
            compile_expression(source).evaluate(context, now=now)
        assert caught.value.code == ExpressionCode.EVALUATION_FAILED
        assert caught.value.source == source


def test_bindings_are_extra_variables(now: datetime, context: dict[str, Any]) -> None:
    compiled = compile_expression("$item.name & '/' & meta.state")
    result = compiled.evaluate(context, now=now, bindings={"item": {"name": "drum"}})
    assert result == "drum/NEW"
    with pytest.raises(ValueError, match="reserved"):
        compiled.evaluate(context, now=now, bindings={"__evaluate_entry": 1})
