"""``workflow_core.json_rules``: the JSON input rule (finite numbers, integers of at most
4300 digits, text without NUL or lone surrogates, at most 64 levels), found and placed."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from workflow_core.json_rules import (
    MAX_DEPTH,
    JsonPath,
    JsonRuleError,
    JsonViolation,
    first_violation,
    loads_checked,
    number_violation,
    violation_in_json,
)

# Text within the rule (no NUL, no surrogates): these strategies vary the numbers.
ok_text = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
keys = st.text(ok_text, max_size=6)
finite_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(ok_text, max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)  # fmt: skip
any_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(ok_text, max_size=8),
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


def find_non_finite(value: Any) -> JsonPath | None:
    found = first_violation(value)
    return None if found is None else found.path


@given(value=finite_values)
def test_finite_values_have_no_non_finite_number(value: Any) -> None:
    text = json.dumps(value)
    assert find_non_finite(value) is None
    assert loads_checked(text) == json.loads(text)
    assert violation_in_json(text) is None


@given(value=any_values)
def test_find_non_finite_agrees_with_a_naive_walk_when_values_are_arbitrary(value: Any) -> None:
    assert find_non_finite(value) == reference_first(value)


@given(value=any_values)
def test_loads_checked_names_the_first_non_finite_literal_when_text_holds_one(value: Any) -> None:
    text = json.dumps(value)  # Python writes NaN, Infinity and -Infinity
    expected = reference_first(value)
    if expected is None:
        assert loads_checked(text) == json.loads(text)
        return
    with pytest.raises(JsonRuleError) as caught:
        loads_checked(text)
    assert caught.value.violation.path == expected
    assert caught.value.violation.literal in {"NaN", "Infinity", "-Infinity"}
    assert violation_in_json(text.encode()) == caught.value.violation


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
    expected = number_violation(("n",), literal) if overflows else None
    assert violation_in_json(text) == expected
    assert violation_in_json(text.encode()) == violation_in_json(text)


def test_overflowing_literal_is_reported_as_written() -> None:
    with pytest.raises(JsonRuleError) as caught:
        loads_checked(b'{"payload": {"a": [1, -1e400]}}')
    found = caught.value.violation
    assert (found.path, found.literal) == (("payload", "a", 1), "-1e400")
    assert str(caught.value) == (
        "payload.a.1: -1e400 is too large: beyond 1.8e308 a number is Infinity, not a JSON number"
    )


def test_nan_message_names_the_place() -> None:
    with pytest.raises(JsonRuleError, match=r"^payload\.a: NaN is not a JSON number$"):
        loads_checked('{"payload": {"a": NaN}}')


def test_pointer_escapes_slash_and_tilde() -> None:
    found = number_violation(("a/b", "c~d", 0), "Infinity")
    assert found.pointer == "/a~1b/c~0d/0"
    assert found.dotted == "a/b.c~d.0"


def test_non_finite_root_is_reported_at_the_root() -> None:
    found = first_violation(float("-inf"))
    assert found == number_violation((), "-Infinity")
    assert (found.pointer, found.describe()) == ("", "(root): -Infinity is not a JSON number")


def test_long_literal_is_shortened_in_the_message() -> None:
    literal = "1" * 400 + ".0"
    with pytest.raises(JsonRuleError) as caught:
        loads_checked("[" + literal + "]")
    assert caught.value.violation.literal == literal
    assert len(str(caught.value)) < 120


def test_value_replaced_by_a_later_duplicate_key_is_not_reported() -> None:
    assert loads_checked('{"a": NaN, "a": 1}') == {"a": 1}


def test_deep_nesting_is_walked_without_recursion() -> None:
    value: Any = float("nan")
    for _ in range(5000):
        value = {"x": [value]}
    found = first_violation(value)
    assert found is not None
    assert found.reason == f"nested deeper than {MAX_DEPTH} arrays/objects"
    assert len(found.path) == MAX_DEPTH


def test_text_that_is_not_json_is_left_to_the_parser() -> None:
    assert violation_in_json("NaN, not json {") is None
    with pytest.raises(json.JSONDecodeError):
        loads_checked("{NaN")


def test_tuples_are_walked_like_lists() -> None:
    assert find_non_finite({"a": (1, 2.5, float("nan"))}) == ("a", 2)


def test_values_built_in_code_are_named_by_their_kind() -> None:
    assert first_violation({"a": [float("nan")]}) == number_violation(("a", 0), "NaN")
    assert first_violation({"b": math.inf}) == number_violation(("b",), "Infinity")
    assert first_violation({"c": 1.5, "d": [None, "x"]}) is None


def test_large_integer_literal_stays_an_integer() -> None:
    assert loads_checked("[1" + "0" * 400 + "]") == [10**400]  # jsonb numeric holds it


# Each fixed case of issue 17, by name: (JSON text, pointer, reason).
TEXT_CASES = {
    "nul_in_a_string": ('{"name": "a\\u0000b"}', "/name", "U+0000 (NUL) is not allowed in text"),
    "nul_in_a_key": ('{"p": {"k\\u0000": 1}}', "/p/k\\u0000",
                     "object key: U+0000 (NUL) is not allowed in text"),
    "lone_high_surrogate": ('["\\ud800"]', "/0",
                            "a lone surrogate (U+D800) is not Unicode text"),
    "lone_low_surrogate": ('{"a": ["x", "\\uDC00y"]}', "/a/1",
                           "a lone surrogate (U+DC00) is not Unicode text"),
    "integer_over_4300_digits": ('{"n": -1' + "0" * 4300 + "}", "/n",
                                 "-1000000000000000000... has 4301 digits; at most 4300"),
    "nesting_past_64": ('{"a": ' + "[" * 64 + "]" * 64 + "}", "/a" + "/0" * 63,
                        "nested deeper than 64 arrays/objects"),
    "nesting_past_the_parser": ("[" * 100_000 + "]" * 100_000, "",
                                "nested deeper than 64 arrays/objects (at character 64)"),
}  # fmt: skip


@pytest.mark.parametrize(("text", "pointer", "reason"), TEXT_CASES.values(), ids=TEXT_CASES)
def test_each_refused_value_is_named_by_its_pointer_and_reason(
    text: str, pointer: str, reason: str
) -> None:
    found = violation_in_json(text)
    assert found is not None
    assert (found.pointer, found.reason) == (pointer, reason)
    assert "\x00" not in found.describe()  # a reason can be stored and printed
    assert violation_in_json(text.encode()) == found


KEPT = {
    "surrogate_pair": ('["\\ud83d\\ude00"]', ["\U0001f600"]),
    "escaped_backslash_then_u0000": ('["\\\\u0000"]', ["\\u0000"]),
    "integer_of_4300_digits": ("[" + "9" * 4300 + "]", [int("9" * 4300)]),
    "integer_beyond_64_bits": ("[1152921504606846975000]", [1152921504606846975000]),
    "nesting_of_64": ("[" * 64 + "]" * 64, json.loads("[" * 64 + "]" * 64)),
    "brackets_inside_strings": ('["' + "[" * 100 + '"]', ["[" * 100]),
}  # fmt: skip


@pytest.mark.parametrize(("text", "value"), KEPT.values(), ids=KEPT)
def test_values_within_the_rule_are_kept_exactly(text: str, value: Any) -> None:
    assert loads_checked(text) == value
    assert violation_in_json(text) is None


def test_bytes_must_be_utf8() -> None:
    found = violation_in_json(b'["\xed\xa0\x80"]')  # a surrogate encoded as UTF-8
    reason = "JSON text must be UTF-8: invalid continuation byte at byte 2"
    assert found == JsonViolation((), reason)
    with pytest.raises(JsonRuleError):
        loads_checked('{"a": 1}'.encode("utf-16"))


texts = st.text(alphabet=st.characters(codec=None), max_size=6)


@given(value=st.recursive(
    st.none() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=12,
))  # fmt: skip
def test_text_rule_agrees_with_a_naive_walk(value: Any) -> None:
    def bad(text: str) -> bool:
        return any(c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF for c in text)

    def naive(item: Any) -> bool:
        if isinstance(item, dict):
            return any(bad(k) or naive(v) for k, v in item.items())
        if isinstance(item, list):
            return any(naive(v) for v in item)
        return isinstance(item, str) and bad(item)

    text = json.dumps(value)  # ensure_ascii: NUL and surrogates written as escapes
    found = violation_in_json(text)
    assert (found is not None) == naive(value)
    if found is None:
        assert loads_checked(text) == value
