"""Compound expressions evaluated directly answer exactly what the engine answers, or not
at all (``expressions/direct.py``): generated expressions and documents, both ways."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from jsonata import Jsonata
from workflow_core.expressions import (
    DEFAULT_LIMITS,
    ExpressionError,
    ExpressionLimits,
    compile_expression,
)
from workflow_core.expressions.direct import DirectForm, direct_form
from workflow_core.expressions.evaluate import evaluate_engine
from workflow_core.expressions.regex_guard import capped_regex_engine
from workflow_core.expressions.rewrite import rewrite
from workflow_core.expressions.simple_path import MISS

NOW = datetime(2026, 1, 1, 10, 11, 12, 345_678, tzinfo=UTC)


def engine_only(
    source: str, context: Any, limits: ExpressionLimits = DEFAULT_LIMITS, now: datetime = NOW
) -> Any:
    """A direct engine evaluation: a fresh parse, never a fast path."""
    rewritten = rewrite(source)
    engine = Jsonata(rewritten.text + "\n", capped_regex_engine)
    return evaluate_engine(
        engine, rewritten, source, context, now=now, limits=limits, clock=None, bindings=None
    )


def tagged(value: Any) -> Any:
    """``value`` with every scalar's exact type and repr, so 1 != 1.0 != True."""
    if isinstance(value, dict):
        return ("dict", tuple((key, tagged(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", tuple(tagged(item) for item in value))
    return (type(value).__name__, repr(value))


def outcome(evaluation: Any, *args: Any) -> Any:
    try:
        return ("ok", tagged(evaluation(*args)))
    except ExpressionError as exc:
        return ("error", exc.code, exc.message, exc.position, exc.jsonata_code)


def form(source: str) -> DirectForm:
    compiled = direct_form(compile_expression(source).ast)
    assert compiled is not None, source
    return compiled


# -- generated expressions over generated documents -----------------------------------

names = st.sampled_from(["a", "b", "c"])
scalars = (
    st.none()
    | st.booleans()
    | st.sampled_from([0, 1, -3, 2.5, 1.0, 0.0, 10**20])
    | st.sampled_from(["", "x", "ab:", "a b", "0", "true"])
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=10,
)
paths = st.lists(names, min_size=1, max_size=3).map(".".join)
literals = st.sampled_from(["'x'", "''", "'ab:'", '"0"', "0", "1", "-3", "2.5", "1.0"]) | (
    st.sampled_from(["true", "false", "null"])
)
functions_of_one = st.sampled_from(["$not(%s)", "coalesce(%s)", "(%s)"])
binaries = st.sampled_from(["&", "=", "!=", "==", "and", "or"])


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return (
        st.tuples(inner, binaries, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        | st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})")
        | st.tuples(inner, inner).map(lambda t: f"({t[0]} ? {t[1]})")
        | st.tuples(functions_of_one, inner).map(lambda t: t[0] % t[1])
        | st.lists(inner, min_size=2, max_size=3).map(lambda a: f"coalesce({', '.join(a)})")
    )


expressions = st.recursive(paths | literals | st.just("nowIso()"), _compound, max_leaves=6)
small_limits = st.builds(
    replace,
    st.just(DEFAULT_LIMITS),
    max_work_units=st.integers(1, 30),
    max_depth=st.integers(1, 12),
    max_items=st.integers(0, 8),
    max_output_bytes=st.integers(0, 40),
    max_string_chars=st.integers(0, 8),
    max_total_string_chars=st.integers(0, 60),
)


@settings(max_examples=400, deadline=None)
@given(
    source=expressions,
    document=st.dictionaries(names, documents, max_size=3),
    limits=st.just(DEFAULT_LIMITS) | small_limits,
)
def test_direct_answers_equal_the_engine_for_generated_expressions(
    source: str, document: dict[str, Any], limits: ExpressionLimits
) -> None:
    expected = outcome(engine_only, source, document, limits)
    compiled = compile_expression(source)
    assert outcome(lambda: compiled.evaluate(document, now=NOW, limits=limits)) == expected
    direct = direct_form(compiled.ast)
    if direct is None:
        event("not compiled")
        return
    answer = direct.lookup(document, now=NOW, limits=limits, bindings=None)
    event("direct answered" if answer is not MISS else "engine answered")
    if answer is not MISS:
        assert ("ok", tagged(answer)) == expected


# -- the reference workflow's expressions ----------------------------------------------

ENVELOPE: dict[str, Any] = {
    "payload": {
        "providerId": "prov-1",
        "emailData": {"id": "<m1@x>", "autoSubmitted": False, "inReplyTo": None},
    },
    "vars": {
        "tokenMatch": {"found": False, "ticketId": None},
        "threadMatch": {"found": True, "ticketId": "TIC-2"},
        "contact": {"found": True, "clientId": "c1"},
        "defaults": {"found": True, "clientId": "c2", "locationId": "l9"},
        "ticket": {"ticketId": "TIC-7"},
        "attachment": {"id": "att-1", "name": "a.pdf"},
        "parsedEmail": {"sanitizedHtml": None, "sanitizedText": "hello"},
    },
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("payload.providerId & ':' & payload.emailData.id", "prov-1:<m1@x>"),
        (
            "vars.ticket.ticketId & ':' & payload.emailData.id & ':' & vars.attachment.id",
            "TIC-7:<m1@x>:att-1",
        ),
        ("$not(vars.tokenMatch.found = true)", True),
        ("coalesce(vars.tokenMatch.ticketId, vars.threadMatch.ticketId)", "TIC-2"),
        ("coalesce(vars.parsedEmail.sanitizedHtml, vars.parsedEmail.sanitizedText)", "hello"),
        (
            "vars.contact.clientId and vars.contact.clientId != vars.defaults.clientId ? null"
            " : vars.defaults.locationId",
            None,
        ),
        ("vars.contact.found and $not(payload.emailData.autoSubmitted = true)", True),
        ("vars.ticket.ticketId & ':ack'", "TIC-7:ack"),
        ("vars.defaults", {"found": True, "clientId": "c2", "locationId": "l9"}),
        ("nowIso()", "2026-01-01T10:11:12.345Z"),
    ],
)
def test_the_reference_workflow_expressions_are_answered_directly(
    source: str, expected: Any
) -> None:
    answer = form(source).lookup(ENVELOPE, now=NOW, limits=DEFAULT_LIMITS, bindings=None)
    assert answer == expected
    assert outcome(engine_only, source, ENVELOPE) == ("ok", tagged(expected))


@pytest.mark.parametrize(
    "source",
    [
        "payload.items[0]",  # predicates
        "$string(payload.n)",  # functions other than not, coalesce, nowIso
        "payload.a + 1",  # arithmetic
        "$x & 'a'",  # variables
        "payload.(a & b)",  # blocks as steps
        "$not()",  # the context as argument
    ],
)
def test_other_shapes_are_not_compiled(source: str) -> None:
    assert direct_form(compile_expression(source).ast) is None


@pytest.mark.parametrize(
    ("source", "document"),
    [
        ("a & 'x'", {"a": 5}),  # a number is rendered by $string
        ("a = b", {"a": 1, "b": True}),  # different types
        ("a & 'x'", {"a": ["l"]}),  # arrays flatten
        ("a.b & 'x'", {"a": [{"b": "1"}]}),  # paths map over arrays
        ("a = null", {"a": None}),  # JSON null meets the null literal
        ("a and 'x'", {"a": {"k": 1}}),  # an object's truth
        ("a & 'x'", {"a": {"k": 1}}),  # an object rendered as JSON
    ],
)
def test_uncertain_values_go_to_the_engine(source: str, document: dict[str, Any]) -> None:
    assert form(source).lookup(document, now=NOW, limits=DEFAULT_LIMITS, bindings=None) is MISS
    compiled = compile_expression(source)
    assert outcome(lambda: compiled.evaluate(document, now=NOW)) == outcome(
        engine_only, source, document
    )


def test_bindings_that_shadow_a_function_or_use_the_reserved_prefix_go_to_the_engine() -> None:
    direct = form("coalesce(a, 'x')")
    assert direct.lookup({}, now=NOW, limits=DEFAULT_LIMITS, bindings=None) == "x"
    shadowed = {"coalesce": "not a function"}
    assert direct.lookup({}, now=NOW, limits=DEFAULT_LIMITS, bindings=shadowed) is MISS
    reserved = {"__evaluate_entry": 1}
    assert direct.lookup({}, now=NOW, limits=DEFAULT_LIMITS, bindings=reserved) is MISS


def test_tight_limits_and_a_naive_now_go_to_the_engine() -> None:
    direct = form("a & '-' & b")
    document = {"a": "x" * 10, "b": "y"}
    assert direct.lookup(document, now=NOW, limits=DEFAULT_LIMITS, bindings=None) == "x" * 10 + "-y"
    for tight in (
        replace(DEFAULT_LIMITS, max_work_units=3),
        replace(DEFAULT_LIMITS, max_depth=2),
        replace(DEFAULT_LIMITS, max_string_chars=5),
        replace(DEFAULT_LIMITS, max_total_string_chars=20),
        replace(DEFAULT_LIMITS, max_output_bytes=4),
    ):
        assert direct.lookup(document, now=NOW, limits=tight, bindings=None) is MISS
    naive = NOW.replace(tzinfo=None)
    assert direct.lookup(document, now=naive, limits=DEFAULT_LIMITS, bindings=None) is MISS


def test_now_iso_is_the_evaluations_now_in_utc() -> None:
    offset = datetime(2026, 5, 6, 7, 8, 9, 1_999, tzinfo=timezone(timedelta(hours=2)))
    direct = form("nowIso()")
    assert direct.lookup({}, now=offset, limits=DEFAULT_LIMITS, bindings=None) == (
        "2026-05-06T05:08:09.001Z"
    )
    assert engine_only("nowIso()", {}, now=offset) == "2026-05-06T05:08:09.001Z"
