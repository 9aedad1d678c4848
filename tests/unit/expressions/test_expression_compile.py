"""compile_expression: caching, errors, and the ExpressionError contract."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from workflow_core.errors import ExpressionCode, SluiceError
from workflow_core.expressions import ExpressionError, compile_expression
from workflow_core.expressions.compile import MAX_SOURCE_CHARS


def test_compile_is_cached_by_source() -> None:
    first = compile_expression("payload.a + 1")
    assert compile_expression("payload.a + 1") is first
    assert compile_expression("payload.a + 2") is not first
    assert first.source == "payload.a + 1"
    assert "payload.a + 1" in repr(first)


@pytest.mark.parametrize(
    ("source", "jsonata_code"),
    [("payload.", "S0207"), ("(1", "S0203"), ("'open", "S0101"), ("1 +* 2", "S0201")],
)
def test_syntax_errors_are_invalid_expr(source: str, jsonata_code: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    error = caught.value
    assert isinstance(error, SluiceError)
    assert error.code == ExpressionCode.INVALID_EXPR
    assert error.jsonata_code == jsonata_code
    assert error.source == source
    assert error.node_path is None
    assert error.code in str(error)


@pytest.mark.parametrize("source", ["", "   ", "/* only a comment */"])
def test_empty_expression_is_invalid(source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert caught.value.code == ExpressionCode.INVALID_EXPR


@pytest.mark.parametrize("source", ["payload.a /* note */", "payload.a\n/* note */", "/* a */ 1"])
def test_comments_anywhere_compile(source: str) -> None:
    expected = 1 if source.endswith("1") else 7
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert compile_expression(source).evaluate({"payload": {"a": 7}}, now=now) == expected


def test_unclosed_comment_is_invalid_expr_with_reason() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("payload.a /* note")
    assert caught.value.code == ExpressionCode.INVALID_EXPR
    assert caught.value.jsonata_code == "S0106"
    assert "no closing */" in caught.value.message


def test_invalid_regex_is_invalid_expr() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("$match(s, /(/)")
    assert caught.value.code == ExpressionCode.INVALID_EXPR


def test_overlong_and_overdeep_sources_are_invalid() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("1" + " + 1" * MAX_SOURCE_CHARS)
    assert "longer than" in caught.value.message
    with pytest.raises(ExpressionError) as caught:
        compile_expression("[" * 5000 + "]" * 5000)
    assert caught.value.code == ExpressionCode.INVALID_EXPR


def test_node_path_is_settable_by_callers() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("$eval('1')")
    caught.value.node_path = "root.steps[0]"
    assert caught.value.node_path == "root.steps[0]"


def test_importing_expressions_loads_no_infrastructure() -> None:
    probe = (
        "import json, sys, workflow_core.expressions; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    forbidden = {"asyncio", "socket", "subprocess", "aiokafka", "asyncpg", "faust", "httpx"}
    loaded = set(json.loads(out.stdout))
    assert "jsonata" in loaded
    assert loaded & forbidden == set()


def test_calling_a_non_function_fails_without_printing(capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ExpressionError) as caught:
        compile_expression("payload.a()").evaluate({"payload": {"a": 1}}, now=now)
    assert caught.value.jsonata_code == "T1006"
    assert capsys.readouterr().out == ""
