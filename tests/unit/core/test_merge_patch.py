"""JSON Merge Patch: the examples of RFC 7396 appendix A, and that inputs stay as they were."""

from __future__ import annotations

from typing import Any

import pytest
from workflow_core.merge_patch import merge_patch

RFC_7396_APPENDIX_A: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC_7396_APPENDIX_A)
def test_merge_patch_gives_the_rfc_results(target: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(target, patch) == expected


def test_merge_patch_changes_neither_argument_and_shares_nothing() -> None:
    target, patch = {"a": {"b": [1]}, "c": 1}, {"a": {"d": {"e": 2}}, "c": None}
    result = merge_patch(target, patch)
    assert target == {"a": {"b": [1]}, "c": 1}
    assert patch == {"a": {"d": {"e": 2}}, "c": None}
    result["a"]["b"].append(2)
    result["a"]["d"]["e"] = 3
    assert target["a"]["b"] == [1]
    assert patch["a"]["d"]["e"] == 2
