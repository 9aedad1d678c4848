"""``x-sensitive`` fields located in an instance by walking its schema."""

from __future__ import annotations

from typing import Any

from workflow_core.redaction import sensitive_pointers_from_schema

SECRET: dict[str, Any] = {"type": "string", "x-sensitive": True}


def test_nested_properties_give_instance_pointers() -> None:
    schema = {"properties": {"a": {"properties": {"b": SECRET, "c": {"type": "string"}}}}}
    assert sensitive_pointers_from_schema(schema, {"a": {"b": "x", "c": "y"}}) == ["/a/b"]


def test_absent_fields_are_not_reported() -> None:
    schema = {"properties": {"a": SECRET}}
    assert sensitive_pointers_from_schema(schema, {"b": 1}) == []


def test_array_items_give_one_pointer_per_element() -> None:
    schema = {"properties": {"to": {"items": {"properties": {"email": SECRET}}}}}
    instance = {"to": [{"email": "a"}, {"name": "n"}, {"email": "c"}]}
    assert sensitive_pointers_from_schema(schema, instance) == ["/to/0/email", "/to/2/email"]


def test_prefix_items_and_tuple_items_are_followed() -> None:
    modern = {"prefixItems": [{}, SECRET], "items": {"properties": {"k": SECRET}}}
    assert sensitive_pointers_from_schema(modern, [1, 2, {"k": 3}]) == ["/1", "/2/k"]
    legacy = {"items": [SECRET], "additionalItems": SECRET}
    assert sensitive_pointers_from_schema(legacy, [1, 2]) == ["/0", "/1"]


def test_refs_to_defs_are_resolved() -> None:
    schema = {
        "$defs": {
            "cred": {"properties": {"password": {"$ref": "#/$defs/secret"}}},
            "secret": SECRET,
        },
        "properties": {"login": {"$ref": "#/$defs/cred"}},
    }
    instance = {"login": {"password": "pw", "user": "u"}}
    assert sensitive_pointers_from_schema(schema, instance) == ["/login/password"]


def test_every_combinator_branch_is_honoured() -> None:
    schema = {
        "allOf": [{"properties": {"a": SECRET}}],
        "anyOf": [{"properties": {"b": SECRET}}, {"type": "object"}],
        "oneOf": [{"properties": {"c": SECRET}}],
        "if": {"properties": {"d": {"const": 1}}},
        "then": {"properties": {"e": SECRET}},
    }
    instance = {"a": 1, "b": 2, "c": 3, "d": 1, "e": 5, "f": 6}
    assert sensitive_pointers_from_schema(schema, instance) == ["/a", "/b", "/c", "/e"]


def test_pattern_and_additional_properties_are_followed() -> None:
    schema = {
        "properties": {"plain": {}},
        "patternProperties": {"^x-": SECRET},
        "additionalProperties": {"properties": {"k": SECRET}},
    }
    instance = {"plain": 1, "x-token": "t", "other": {"k": 1}}
    assert sensitive_pointers_from_schema(schema, instance) == ["/other/k", "/x-token"]


def test_sensitive_root_and_escaped_keys() -> None:
    assert sensitive_pointers_from_schema(SECRET, "x") == [""]
    schema = {"properties": {"a/b": SECRET}}
    assert sensitive_pointers_from_schema(schema, {"a/b": 1}) == ["/a~1b"]


def test_recursive_ref_cycle_terminates() -> None:
    schema: dict[str, Any] = {
        "$defs": {"node": {"allOf": [{"$ref": "#/$defs/node"}], "properties": {"s": SECRET}}},
        "$ref": "#/$defs/node",
        "properties": {"child": {"$ref": "#"}},
    }
    instance = {"s": 1, "child": {"s": 2, "child": {"s": 3}}}
    assert sensitive_pointers_from_schema(schema, instance) == [
        "/child/child/s",
        "/child/s",
        "/s",
    ]


def test_remote_refs_and_bad_patterns_are_ignored() -> None:
    schema = {
        "properties": {"a": {"$ref": "https://example.com/s.json"}},
        "patternProperties": {"(": SECRET},
    }
    assert sensitive_pointers_from_schema(schema, {"a": 1, "(": 2}) == []
