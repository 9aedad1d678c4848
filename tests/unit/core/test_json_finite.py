"""``workflow_core.json_finite``: NaN, Infinity and overflowing literals found and placed."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from workflow_core.json_finite import (
    JsonPath,
    NonFiniteNumber,
    NonFiniteNumberError,
    find_non_finite,
    first_non_finite,
    loads_finite,
    non_finite_in_json,
)

keys = st.text(max_size=6)
finite_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)  # fmt: skip
any_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


def leaves(value: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    """Reference walk: every scalar with its path, in document order (recursive, naive)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def reference_first(value: Any) -> JsonPath | None:
    for path, leaf in leaves(value):
        if isinstance(leaf, float) and not math.isfinite(leaf):
            return path
    return None


@given(value=finite_values)
def test_finite_values_have_no_non_finite_number(value: Any) -> None:
    text = json.dumps(value)
    assert find_non_finite(value) is None
    assert loads_finite(text) == json.loads(text)
    assert non_finite_in_json(text) is None


@given(value=any_values)
def test_find_non_finite_agrees_with_a_naive_walk_when_values_are_arbitrary(value: Any) -> None:
    assert find_non_finite(value) == reference_first(value)


@given(value=any_values)
def test_loads_finite_names_the_first_non_finite_literal_when_text_holds_one(value: Any) -> None:
    text = json.dumps(value)  # Python writes NaN, Infinity and -Infinity
    expected = reference_first(value)
    if expected is None:
        assert loads_finite(text) == json.loads(text)
        return
    with pytest.raises(NonFiniteNumberError) as caught:
        loads_finite(text)
    assert caught.value.found.path == expected
    assert caught.value.found.literal in {"NaN", "Infinity", "-Infinity"}
    assert non_finite_in_json(text.encode()) == caught.value.found


number_literals = st.builds(
    lambda sign, digits, fraction, exponent: f"{sign}{digits}{fraction}{exponent}",
    st.sampled_from(["", "-"]),
    st.integers(1, 400).map(lambda n: "9" * n) | st.sampled_from(["0", "1", "17"]),
    st.sampled_from(["", ".5", ".000001"]),
    st.sampled_from(["", "e", "E", "e+", "e-"]).flatmap(
        lambda mark: st.just("") if not mark else st.integers(0, 9999).map(lambda n: f"{mark}{n}")
    ),
)


@given(literal=number_literals)
def test_every_overflowing_literal_is_found_as_written(literal: str) -> None:
    # JSON integers (no point, no exponent) are read as Python ints: never infinite.
    overflows = any(mark in literal for mark in ".eE") and math.isinf(float(literal))
    text = '{"n": ' + literal + "}"
    assert non_finite_in_json(text) == (NonFiniteNumber(("n",), literal) if overflows else None)
    assert non_finite_in_json(text.encode()) == non_finite_in_json(text)


def test_overflowing_literal_is_reported_as_written() -> None:
    with pytest.raises(NonFiniteNumberError) as caught:
        loads_finite(b'{"payload": {"a": [1, -1e400]}}')
    found = caught.value.found
    assert (found.path, found.literal) == (("payload", "a", 1), "-1e400")
    assert str(caught.value) == (
        "payload.a.1: -1e400 is too large: beyond 1.8e308 a number is Infinity, not a JSON number"
    )


def test_nan_message_names_the_place() -> None:
    with pytest.raises(NonFiniteNumberError, match=r"^payload\.a: NaN is not a JSON number$"):
        loads_finite('{"payload": {"a": NaN}}')


def test_pointer_escapes_slash_and_tilde() -> None:
    found = NonFiniteNumber(("a/b", "c~d", 0), "Infinity")
    assert found.pointer == "/a~1b/c~0d/0"
    assert found.dotted == "a/b.c~d.0"


def test_non_finite_root_is_reported_at_the_root() -> None:
    found = first_non_finite(float("-inf"))
    assert found == NonFiniteNumber((), "-Infinity")
    assert (found.pointer, found.describe()) == ("", "(root): -Infinity is not a JSON number")


def test_long_literal_is_shortened_in_the_message() -> None:
    literal = "1" * 400 + ".0"
    with pytest.raises(NonFiniteNumberError) as caught:
        loads_finite("[" + literal + "]")
    assert caught.value.found.literal == literal
    assert len(str(caught.value)) < 120


def test_value_replaced_by_a_later_duplicate_key_is_not_reported() -> None:
    assert loads_finite('{"a": NaN, "a": 1}') == {"a": 1}


def test_deep_nesting_is_walked_without_recursion() -> None:
    value: Any = float("nan")
    for _ in range(5000):
        value = {"x": [value]}
    path = find_non_finite(value)
    assert path is not None
    assert len(path) == 10000


def test_text_that_is_not_json_is_left_to_the_parser() -> None:
    assert non_finite_in_json("NaN, not json {") is None
    with pytest.raises(json.JSONDecodeError):
        loads_finite("{NaN")


def test_tuples_are_walked_like_lists() -> None:
    assert find_non_finite({"a": (1, 2.5, float("nan"))}) == ("a", 2)


def test_values_built_in_code_are_named_by_their_kind() -> None:
    assert first_non_finite({"a": [float("nan")]}) == NonFiniteNumber(("a", 0), "NaN")
    assert first_non_finite({"b": math.inf}) == NonFiniteNumber(("b",), "Infinity")
    assert first_non_finite({"c": 1.5, "d": [None, "x"]}) is None


def test_large_integer_literal_stays_an_integer() -> None:
    assert loads_finite("[1" + "0" * 400 + "]") == [10**400]  # jsonb numeric holds it
