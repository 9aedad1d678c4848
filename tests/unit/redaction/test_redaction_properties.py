"""Property-based checks of redaction and caps over arbitrary JSON and pointers."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workflow_core.redaction import (
    MASK,
    MIN_SUBSTRING,
    SECRET_REF,
    cap_snapshot,
    encoded_size,
    format_pointer,
    redact,
)
from workflow_core.redaction.mask import redact_by_walk, redact_sized
from workflow_core.redaction.pointers import Path, walk

# Small alphabets make collisions (a secret repeated elsewhere, inside other text) likely.
TEXT = st.text(alphabet="ab*é/~0", max_size=8)
KEYS = st.sampled_from(["a", "b", "a/b", "~", "0", "1", SECRET_REF])
SCALARS = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | TEXT
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)
PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def value_and_pointers(draw: st.DrawFn) -> tuple[Any, list[str]]:
    value = draw(JSON)
    existing = [format_pointer(path) for path, _ in walk(value)]
    chosen = draw(st.lists(st.sampled_from(existing), max_size=4))
    noise = draw(st.lists(st.sampled_from(["/a/-", "/zz", "/0/9", "bad", "/~2"]), max_size=2))
    return value, chosen + noise


def _masked_texts(value: Any, pointers: list[str]) -> set[str]:
    """Independent oracle: texts of every scalar the rules mask."""
    texts: set[str] = set()
    targets = set(pointers)
    for path, node in walk(value):
        inside_ref = isinstance(node, dict) and SECRET_REF in node
        if format_pointer(path) in targets:
            texts |= _leaf_texts(node)
        elif inside_ref:
            for key, child in node.items():
                if key != SECRET_REF:
                    texts |= _leaf_texts(child)
    return texts - {""}


def _leaf_texts(node: Any) -> set[str]:
    return {str(leaf) for _, leaf in walk(node) if isinstance(leaf, str)} | {
        str(leaf) for _, leaf in walk(node) if isinstance(leaf, int) and not isinstance(leaf, bool)
    }


def _paths(value: Any) -> dict[Path, Any]:
    return dict(walk(value))


@PROPERTIES
@given(value_and_pointers(), st.sampled_from([MASK, "[hidden]", "ab", "*"]))
def test_redact_shortcut_answers_what_the_walk_answers(
    case: tuple[Any, list[str]], mask: str
) -> None:
    """``redact`` masks a JSON copy in place when it can prove nothing is left to
    scrub; every answer equals the general rebuild's, whatever the pointers."""
    value, pointers = case
    expected = redact_by_walk(value, pointers, mask)
    assert redact(value, pointers=pointers[:2], sensitive_pointers=pointers[2:], mask=mask) == (
        expected
    )
    # masked texts repeated elsewhere (scrubbed) and untouched ones (the shortcut)
    texts = [leaf for _, leaf in walk(value) if isinstance(leaf, str | int)]
    if texts and isinstance(value, dict):
        both = {**value, "echo": f"x{texts[0]}y", "copy": texts[-1]}
        assert redact(both, pointers=pointers, mask=mask) == redact_by_walk(both, pointers, mask)


@PROPERTIES
@given(value_and_pointers(), st.sampled_from([MASK, "", "é" * 3]))
def test_redact_size_bound_is_never_below_the_encoded_size(
    case: tuple[Any, list[str]], mask: str
) -> None:
    """``snapshot_envelope`` skips measuring a redacted value whose bound fits the cap:
    the bound must never be below the compact UTF-8 size."""
    value, pointers = case
    result, bound = redact_sized(value, pointers, mask)
    assert result == redact_by_walk(value, pointers, mask)
    if bound is not None:
        assert bound >= encoded_size(result)


@PROPERTIES
@given(value_and_pointers())
def test_redact_is_idempotent(case: tuple[Any, list[str]]) -> None:
    value, pointers = case
    once = redact(value, pointers=pointers)
    assert redact(once, pointers=pointers) == once


@PROPERTIES
@given(value_and_pointers())
def test_redact_never_mutates_its_input(case: tuple[Any, list[str]]) -> None:
    value, pointers = case
    before = copy.deepcopy(value)
    redact(value, pointers=pointers, sensitive_pointers=pointers[:1])
    assert value == before


@PROPERTIES
@given(value_and_pointers())
def test_masked_values_never_appear_in_the_output(case: tuple[Any, list[str]]) -> None:
    value, pointers = case
    secrets = _masked_texts(value, pointers)
    long_secrets = {s for s in secrets if len(s) >= MIN_SUBSTRING and s not in MASK}
    for _, leaf in walk(redact(value, pointers=pointers)):
        if isinstance(leaf, str):
            assert leaf == MASK or leaf not in secrets
            assert not any(secret in leaf for secret in long_secrets), (leaf, long_secrets)
        elif isinstance(leaf, int) and not isinstance(leaf, bool):
            assert str(leaf) not in long_secrets


@PROPERTIES
@given(value_and_pointers())
def test_redact_never_adds_structure_or_information(case: tuple[Any, list[str]]) -> None:
    value, pointers = case
    original = _paths(value)
    for path, node in walk(redact(value, pointers=pointers)):
        assert path in original  # no new fields, no new elements
        if isinstance(node, dict | list):
            continue
        before = original[path]
        # Every leaf is kept, masked, or a string the mask was spliced into.
        assert node in (before, MASK) or (isinstance(node, str) and MASK in node)
        if isinstance(node, str) and node not in (before, MASK):
            assert len(node.replace(MASK, "")) < len(str(before))


@PROPERTIES
@given(JSON, st.integers(min_value=64, max_value=400))
def test_capped_output_always_fits_and_input_is_untouched(value: Any, max_bytes: int) -> None:
    before = copy.deepcopy(value)
    capped = cap_snapshot(value, max_bytes=max_bytes)
    assert encoded_size(capped) <= max_bytes
    assert value == before
    if encoded_size(value) <= max_bytes:
        assert capped == value


@PROPERTIES
@given(JSON, st.integers(min_value=64, max_value=400))
def test_cap_is_deterministic_and_idempotent(value: Any, max_bytes: int) -> None:
    capped = cap_snapshot(value, max_bytes=max_bytes)
    assert cap_snapshot(copy.deepcopy(value), max_bytes=max_bytes) == capped
    assert cap_snapshot(capped, max_bytes=max_bytes) == capped
