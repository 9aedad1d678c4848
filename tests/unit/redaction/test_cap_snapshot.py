"""Snapshot caps: explicit markers, deepest-largest first, always within the cap."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from workflow_core.redaction import (
    DEFAULT_MAX_BYTES,
    cap_snapshot,
    encoded_size,
    truncation_marker,
)


def test_value_within_cap_is_returned_unchanged() -> None:
    value = {"a": "x" * 100}
    assert cap_snapshot(value) == value


def test_default_cap_is_256_kib() -> None:
    assert DEFAULT_MAX_BYTES == 262144


def test_one_huge_deep_string_is_the_only_thing_replaced() -> None:
    html = "<p>" + "x" * 300_000 + "</p>"
    envelope = {"payload": {"emailData": {"body": {"html": html, "text": "hi"}, "id": "m1"}}}
    result = cap_snapshot(envelope)
    assert result == {
        "payload": {
            "emailData": {
                "body": {"html": truncation_marker(encoded_size(html)), "text": "hi"},
                "id": "m1",
            }
        }
    }
    assert encoded_size(result) <= DEFAULT_MAX_BYTES


def test_array_of_many_small_items_is_replaced_whole() -> None:
    items = [{"n": i, "pad": "y" * 50} for i in range(10_000)]
    value = {"vars": {"items": items, "keep": True}}
    result = cap_snapshot(value)
    assert result == {"vars": {"items": truncation_marker(encoded_size(items)), "keep": True}}


def test_largest_siblings_go_first_when_no_single_value_is_enough() -> None:
    value = {"a": "a" * 100, "b": "b" * 300, "c": "c" * 200, "d": 1}
    result = cap_snapshot(value, max_bytes=300)
    assert result == {
        "a": "a" * 100,
        "b": truncation_marker(302),
        "c": truncation_marker(202),
        "d": 1,
    }


def test_equal_sizes_are_replaced_in_document_order() -> None:
    value = {"a": "a" * 100, "b": "b" * 100, "c": "c" * 100}
    result = cap_snapshot(value, max_bytes=300)
    assert result == {"a": truncation_marker(102), "b": "b" * 100, "c": "c" * 100}


def test_non_string_literals_are_never_replaced() -> None:
    value = [1234567890] * 20 + ["z" * 200]
    result = cap_snapshot(value, max_bytes=300)
    assert result == [1234567890] * 20 + [truncation_marker(202)]


def test_top_level_value_that_alone_is_too_big_becomes_the_marker() -> None:
    value = "q" * 1000
    assert cap_snapshot(value, max_bytes=100) == truncation_marker(1002)


def test_huge_keys_force_their_object_to_be_replaced() -> None:
    value = {"k" * 500: 1, "small": 2}
    result = cap_snapshot({"o": value}, max_bytes=200)
    assert result == {"o": truncation_marker(encoded_size(value))}


def test_multibyte_text_is_measured_in_utf8_bytes() -> None:
    value = {"s": "é" * 100}  # 200 bytes in UTF-8, 100 characters
    assert encoded_size(value) == 208
    result = cap_snapshot(value, max_bytes=150)
    assert result == {"s": truncation_marker(202)}


def test_cap_does_not_mutate_and_is_deterministic() -> None:
    value: dict[str, Any] = {"a": ["x" * 500, {"b": "y" * 400}], "c": "z" * 300}
    before = copy.deepcopy(value)
    first = cap_snapshot(value, max_bytes=500)
    assert value == before
    assert first == cap_snapshot(copy.deepcopy(value), max_bytes=500)
    assert encoded_size(first) <= 500


def test_cap_below_marker_size_is_refused() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        cap_snapshot({"a": 1}, max_bytes=10)
