"""The plain-path fast path answers exactly what the engine answers, or not at all."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from jsonata import Jsonata
from workflow_core.errors import ExpressionCode
from workflow_core.expressions import (
    DEFAULT_LIMITS,
    ExpressionError,
    ExpressionLimits,
    compile_expression,
)
from workflow_core.expressions.evaluate import evaluate_engine
from workflow_core.expressions.regex_guard import capped_regex_engine
from workflow_core.expressions.rewrite import rewrite
from workflow_core.expressions.simple_path import (
    ENGINE_DEPTH,
    ENGINE_ITEMS,
    MISS,
    SimplePath,
    simple_path,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def engine_only(source: str, context: Any, limits: ExpressionLimits = DEFAULT_LIMITS) -> Any:
    """A direct engine evaluation: a fresh parse, never the fast path."""
    engine = Jsonata(source, capped_regex_engine)
    return evaluate_engine(
        engine,
        rewrite(source),
        source,
        context,
        now=NOW,
        limits=limits,
        clock=None,
        bindings=None,
    )


def tagged(value: Any) -> Any:
    """``value`` with every scalar's exact type and repr, so 1 != 1.0 != True and -0.0 != 0.0."""
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


def fast_path(source: str) -> SimplePath:
    path = simple_path(source, compile_expression(source).ast)
    assert path is not None
    return path


# -- generated documents and paths ------------------------------------------------

identifiers = st.sampled_from(["a", "b", "payload", "vars", "_x", "n1", "Z_9"]) | st.from_regex(
    r"[A-Za-z_][A-Za-z0-9_]{0,3}", fullmatch=True
).filter(lambda name: name not in {"and", "or", "in", "true", "false", "null"})
keys = identifiers | st.text(max_size=4)  # unicode, empty, dotted, spaced keys too
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**299, max_value=10**301).map(lambda n: n * (-1) ** (n % 2))
    | st.floats()  # NaN and infinities included: the engine refuses them as results
    | st.sampled_from([0.0, -0.0, 2.0, 1e16, 5e-324, 1.7976931348623157e308])
    | st.text(max_size=12)
    | st.just("")
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
whitespace = st.text(alphabet=" \t\n\r", max_size=2)
small_limits = st.builds(
    replace,
    st.just(DEFAULT_LIMITS),
    max_work_units=st.integers(1, 6),
    max_depth=st.integers(1, 3),
    max_items=st.integers(0, 2),
    max_output_bytes=st.integers(0, 40),
    max_string_chars=st.integers(0, 14),
    max_total_string_chars=st.integers(0, 14),
)


@st.composite
def documents_with_paths(draw: st.DrawFn) -> tuple[str, Any]:
    names = draw(st.lists(identifiers, min_size=1, max_size=4))
    document = draw(documents)
    if draw(st.integers(0, 3)) > 0:  # plant the path (sometimes with a list on the way)
        value = draw(scalars | documents)
        for name in reversed(names):
            value = {**draw(st.dictionaries(keys, documents, max_size=2)), name: value}
            if draw(st.integers(0, 9)) == 0:
                value = [value]
        document = value
    return draw(whitespace) + ".".join(names) + draw(whitespace), document


@settings(max_examples=400)
@given(case=documents_with_paths(), limits=st.just(DEFAULT_LIMITS) | small_limits)
def test_evaluate_equals_the_engine_for_generated_paths(
    case: tuple[str, Any], limits: ExpressionLimits
) -> None:
    source, document = case
    compiled = compile_expression(source)
    expected = outcome(engine_only, source, document, limits)
    assert outcome(lambda: compiled.evaluate(document, now=NOW, limits=limits)) == expected
    answer = fast_path(source).lookup(document, now=NOW, limits=limits, bindings=None)
    event("fast path answered" if answer is not MISS else "engine answered")
    if answer is not MISS:
        assert ("ok", tagged(answer)) == expected


@settings(max_examples=200)
@given(leaf=scalars, names=st.lists(identifiers, min_size=1, max_size=5))
def test_fast_path_answers_scalars_on_dict_paths_like_the_engine(
    leaf: Any, names: list[str]
) -> None:
    document: Any = leaf
    for name in reversed(names):
        document = {name: document}
    source = ".".join(names)
    answer = fast_path(source).lookup(document, now=NOW, limits=DEFAULT_LIMITS, bindings=None)
    expected = outcome(engine_only, source, document)
    finite = not isinstance(leaf, float) or math.isfinite(leaf)
    in_range = not isinstance(leaf, int) or abs(leaf) < 10**300
    if finite and in_range:
        assert answer is not MISS  # the fast path does fire on plain scalar leaves
        assert ("ok", tagged(answer)) == expected
    else:
        assert answer is MISS
        assert expected[:2] == ("error", ExpressionCode.NOT_JSON)


# -- what takes the fast path ---------------------------------------------------


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("payload", ("payload",)),
        ("payload.n", ("payload", "n")),
        ("vars.ticket.id", ("vars", "ticket", "id")),
        (" \t\r\npayload.emailData.from\n", ("payload", "emailData", "from")),
        ("_.A_1.len", ("_", "A_1", "len")),  # a helper name without ( stays a field
        ("a.function", ("a", "function")),
    ],
)
def test_plain_dotted_paths_take_the_fast_path(source: str, names: tuple[str, ...]) -> None:
    assert fast_path(source).names == names


@pytest.mark.parametrize(
    "source",
    [
        "true",
        "false",
        "null",
        "and",  # a name to JSONata here, but an operator word: not worth the doubt
        "or",
        "in",
        "a.and",
        "a.in",
        "$x",
        "$$.a",
        "$",
        "`a b`",
        "`a`.b",
        "a.b[0]",
        "a[0]",
        "a.b#$i",
        "a.b@$x",
        "a{'k': 1}",
        "a.*",
        "a.**",
        "a . b",  # the same path to JSONata; whitespace inside is simply not recognised
        "a.\u00e9",
        "\fa",
        "/* note */ a",
        "len(a)",
        "a.b = 1",
        "1",
        "'a'",
    ],
)
def test_other_sources_do_not_take_the_fast_path(source: str) -> None:
    assert simple_path(source, compile_expression(source).ast) is None


def test_a_source_the_parser_reads_otherwise_is_refused() -> None:
    """The source test alone is not trusted: the AST must be the same bare path."""
    assert simple_path("a.b", compile_expression("a.c").ast) is None
    assert simple_path("a.b", compile_expression("a.b[0]").ast) is None
    assert simple_path("a", compile_expression("a.b").ast) is None


# -- when the fast path steps aside -----------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"a": [{"b": 1}, {"b": 2}]}, [1, 2]),  # a list on the way maps
        ({"a": [{"b": 1}]}, 1),
        ({"a": {"b": [1, 2]}}, [1, 2]),  # a list result
        ({"a": {"b": {"c": 1}}}, {"c": 1}),  # an object result
        ({"a": {"c": 1}}, None),  # a missing key
        ({"a": None}, None),  # null on the way
        ({"a": "text"}, None),  # a scalar on the way
        ([{"a": {"b": 3}}], 3),  # a list context
        ("a", None),  # a scalar context
    ],
)
def test_non_plain_cases_fall_back_to_the_engine(document: Any, expected: Any) -> None:
    path = fast_path("a.b")
    assert path.lookup(document, now=NOW, limits=DEFAULT_LIMITS, bindings=None) is MISS
    result = compile_expression("a.b").evaluate(document, now=NOW)
    assert tagged(result) == tagged(expected) == tagged(engine_only("a.b", document))


def test_results_are_copies_when_the_engine_answers() -> None:
    document = {"a": {"b": {"c": [1]}}}
    result = compile_expression("a.b").evaluate(document, now=NOW)
    assert result == {"c": [1]}
    assert result is not document["a"]["b"]


def test_a_mapping_context_that_is_not_a_dict_goes_to_the_engine() -> None:
    document = MappingProxyType({"a": {"b": "x"}})
    assert fast_path("a.b").lookup(document, now=NOW, limits=DEFAULT_LIMITS, bindings=None) is MISS
    assert compile_expression("a.b").evaluate(document, now=NOW) == "x"


def test_output_limit_applies_on_the_fast_path() -> None:
    text = "é" * 100  # 200 bytes + 2 quotes
    path = fast_path("p.t")
    exact = replace(DEFAULT_LIMITS, max_output_bytes=202)
    assert path.lookup({"p": {"t": text}}, now=NOW, limits=exact, bindings=None) == text
    over = replace(DEFAULT_LIMITS, max_output_bytes=201)
    assert path.lookup({"p": {"t": text}}, now=NOW, limits=over, bindings=None) is MISS
    with pytest.raises(ExpressionError) as caught:
        compile_expression("p.t").evaluate({"p": {"t": text}}, now=NOW, limits=over)
    assert caught.value.code == ExpressionCode.OUTPUT_TOO_LARGE


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10**300, "\ud800"])
def test_values_that_are_not_json_keep_the_engine_outcome(value: Any) -> None:
    path = fast_path("p.v")
    document = {"p": {"v": value}}
    assert path.lookup(document, now=NOW, limits=DEFAULT_LIMITS, bindings=None) is MISS
    with pytest.raises((ExpressionError, UnicodeEncodeError)) as fast:
        compile_expression("p.v").evaluate(document, now=NOW)
    with pytest.raises((ExpressionError, UnicodeEncodeError)) as engine:
        engine_only("p.v", document)
    assert type(fast.value) is type(engine.value)
    assert str(fast.value) == str(engine.value)


def test_budget_limits_keep_stopping_plain_paths() -> None:
    document = {"a": {"b": {"c": "xyz"}}}
    cases = [
        replace(DEFAULT_LIMITS, max_work_units=3),  # a.b.c needs 4
        replace(DEFAULT_LIMITS, max_depth=1),
        replace(DEFAULT_LIMITS, max_items=0),
        replace(DEFAULT_LIMITS, max_string_chars=2),
        replace(DEFAULT_LIMITS, max_total_string_chars=2),
    ]
    for limits in cases:
        assert fast_path("a.b.c").lookup(document, now=NOW, limits=limits, bindings=None) is MISS
        with pytest.raises(ExpressionError) as caught:
            compile_expression("a.b.c").evaluate(document, now=NOW, limits=limits)
        assert caught.value.code == ExpressionCode.BUDGET_EXCEEDED


@pytest.mark.parametrize("steps", [1, 2, 3, 6])
def test_engine_cost_of_a_plain_path_is_what_the_fast_path_assumes(steps: int) -> None:
    """Tight: the engine succeeds at exactly the limits the fast path requires, not below."""
    names = [f"n{i}" for i in range(steps)]
    document: Any = "text"
    for name in reversed(names):
        document = {name: document}
    source = ".".join(names)
    tight = replace(
        DEFAULT_LIMITS,
        max_work_units=steps + 1,
        max_depth=ENGINE_DEPTH,
        max_items=ENGINE_ITEMS,
        max_string_chars=4,
        max_total_string_chars=4,
        max_output_bytes=6,
    )
    assert engine_only(source, document, tight) == "text"
    assert fast_path(source).lookup(document, now=NOW, limits=tight, bindings=None) == "text"
    for field, value in [
        ("max_work_units", steps),
        ("max_depth", ENGINE_DEPTH - 1),
        ("max_items", ENGINE_ITEMS - 1),
        ("max_string_chars", 3),
        ("max_total_string_chars", 3),
    ]:
        with pytest.raises(ExpressionError):
            engine_only(source, document, replace(tight, **{field: value}))


class StepClock:
    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_clock_sends_plain_paths_through_the_engine() -> None:
    compiled = compile_expression("payload.n")
    with pytest.raises(ExpressionError) as caught:
        compiled.evaluate({"payload": {"n": 1}}, now=NOW, clock=StepClock(0.010))
    assert caught.value.code == ExpressionCode.TIMED_OUT
    assert compiled.evaluate({"payload": {"n": 1}}, now=NOW, clock=StepClock(0.0)) == 1


def test_argument_errors_are_kept_on_plain_paths() -> None:
    compiled = compile_expression("payload.n")
    with pytest.raises(ValueError, match="timezone-aware"):
        compiled.evaluate({"payload": {"n": 1}}, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="reserved"):
        compiled.evaluate({"payload": {"n": 1}}, now=NOW, bindings={"__evaluate_exit": 1})
    assert compiled.evaluate({"payload": {"n": 1}}, now=NOW, bindings={"item": 2}) == 1
