"""Evaluations on several threads share compiled expressions but no evaluation state."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from workflow_core.errors import ExpressionCode
from workflow_core.expressions import ExpressionError, compile_expression

JOBS: list[tuple[str, Any]] = [
    ("($x := payload.items; $x[price > 1].name)", ["toner", "drum"]),
    ("$map(payload.items.name, $substring(?, 0, 2))", ["to", "dr"]),
    ("$count([1..3000].([1..3000]))", ExpressionCode.BUDGET_EXCEEDED),
    ("($y := 'mine'; [1..200].($y))", ["mine"] * 200),
    ("$x", None),  # another evaluation's $x must never be visible here
    ("nowIso()", "2026-03-04T05:06:07.890Z"),
]


@pytest.fixture
def fast_switching() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # interleave threads as often as possible
    yield
    sys.setswitchinterval(interval)


def _outcome(source: str, context: dict[str, Any], now: datetime) -> Any:
    try:
        return compile_expression(source).evaluate(context, now=now)
    except ExpressionError as error:
        return error.code


@pytest.mark.usefixtures("fast_switching")
def test_concurrent_evaluations_are_isolated(now: datetime, context: dict[str, Any]) -> None:
    work = [JOBS[i % len(JOBS)] for i in range(600)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda job: _outcome(job[0], context, now), work))
    assert outcomes == [expected for _, expected in work]
