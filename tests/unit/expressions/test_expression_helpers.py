"""SPEC section 5 helpers, bare and with ``$``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from workflow_core.errors import ExpressionCode
from workflow_core.expressions import ExpressionError, compile_expression


def run(source: str, context: Any, now: datetime) -> Any:
    return compile_expression(source).evaluate(context, now=now)


@pytest.mark.parametrize("source", ["nowIso()", "$nowIso()"])
def test_now_iso_returns_the_evaluations_now_in_utc_with_z(
    source: str, now: datetime, context: dict[str, Any]
) -> None:
    assert run(source, context, now) == "2026-03-04T05:06:07.890Z"


def test_now_iso_converts_other_zones_to_utc(context: dict[str, Any]) -> None:
    local = datetime(2026, 3, 4, 7, 6, 7, tzinfo=timezone(timedelta(hours=2)))
    assert run("nowIso()", context, local) == "2026-03-04T05:06:07.000Z"


def test_naive_now_is_refused(context: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compile_expression("1").evaluate(context, now=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("coalesce(payload.missing, vars.ticketId, 'fallback')", "fallback"),
        ("$coalesce(vars.ticketId, payload.len)", 7),
        ("coalesce()", None),
        ("coalesce(false, 1)", False),
        ("len(payload.emailData.subject)", 15),
        ("len(payload.items)", 2),
        ("len(payload.len)", 0),
        ("len(payload.nothing)", 0),
        ("payload.len", 7),
        ("toString(vars.ticketId)", ""),
        ("toString(payload.nothing)", ""),
        ("toString(12)", "12"),
        ("toString('s')", "s"),
        ("toString(vars.tags)", '["a"]'),
        ("append(vars.missing, 1)", [1]),
        ("append(vars.ticketId, 1)", [1]),
        ("append(vars.tags, 'b')", ["a", "b"]),
        ("$append(vars.tags, ['b', 'c'])", ["a", "b", "c"]),
        ("$map(payload.items.name, $len)", [5, 4]),
    ],
)
def test_helper_results(source: str, expected: Any, now: datetime, context: dict[str, Any]) -> None:
    assert run(source, context, now) == expected


def test_helper_with_too_many_arguments_fails(now: datetime, context: dict[str, Any]) -> None:
    with pytest.raises(ExpressionError) as caught:
        run("len('a', 'b')", context, now)
    assert caught.value.code == ExpressionCode.EVALUATION_FAILED
    assert caught.value.jsonata_code == "T0410"


def test_helpers_read_now_per_evaluation(context: dict[str, Any]) -> None:
    compiled = compile_expression("nowIso()")
    first = datetime(2026, 1, 1, tzinfo=UTC)
    assert compiled.evaluate(context, now=first) == "2026-01-01T00:00:00.000Z"
    assert compiled.evaluate(context, now=first + timedelta(days=1)) == "2026-01-02T00:00:00.000Z"
