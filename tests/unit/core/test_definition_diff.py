"""diff_steps: step-level differences of two definition documents, matched by step id."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from workflow_core.definitions.diff import diff_steps

REFERENCE = (
    Path(__file__).parents[3] / "libs/helpdesk/src/sluice_helpdesk/workflows/inbound_email.json"
)


def step(step_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "type": "state.set", "config": {"state": step_id.upper()}, **extra}


def doc(*steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "wf", **fields, "steps": list(steps)}


def test_a_document_against_itself_is_empty() -> None:
    reference = json.loads(REFERENCE.read_text())
    assert diff_steps(reference, copy.deepcopy(reference)).empty


def test_first_publish_adds_every_step_in_document_order() -> None:
    reference = json.loads(REFERENCE.read_text())
    added = diff_steps(None, reference).added
    assert added[:3] == ["state_processing", "main", "record_processed_at"]
    assert len(added) == len(set(added)) > 30
    assert "reply_attachments_attach" in added  # nested three blocks deep


def test_inserting_before_a_step_does_not_move_it() -> None:
    diff = diff_steps(doc(step("a"), step("b")), doc(step("new"), step("a"), step("b")))
    assert diff.summary() == {"added": ["new"]}


def test_swapping_two_steps_moves_both() -> None:
    diff = diff_steps(doc(step("a"), step("b")), doc(step("b"), step("a")))
    assert sorted(diff.moved) == ["a", "b"]
    assert not diff.changed


def test_moving_into_a_branch_is_a_move_and_the_block_is_unchanged_otherwise() -> None:
    block = {"id": "if", "type": "control.if", "condition": "true", "then": [step("x")]}
    moved = {**block, "then": [step("x"), step("a")]}
    diff = diff_steps(doc(step("a"), block), doc(moved))
    assert diff.moved == ["a"]
    assert diff.changed == []  # a block is not changed by what happens inside its pipes


def test_config_change_nested_is_reported_on_the_step_only() -> None:
    old = doc({"id": "loop", "type": "control.forEach", "items": "payload.x",
               "body": {"steps": [step("inner")]}})  # fmt: skip
    new = copy.deepcopy(old)
    new["steps"][0]["body"]["steps"][0]["config"]["state"] = "OTHER"
    assert diff_steps(old, new).summary() == {"changed": ["inner"]}


def test_top_level_fields_are_named() -> None:
    diff = diff_steps(doc(step("a"), name="x"), doc(step("a"), name="y", trigger={"type": "event"}))
    assert diff.fields == ["name", "trigger"]


def test_malformed_parts_are_skipped_not_raised() -> None:
    odd = {"steps": [1, "x", {"type": "no-id"}, {"id": 5}, {"id": "ok", "then": "nope"}]}
    assert diff_steps(None, odd).added == ["ok"]
    assert diff_steps({"steps": "not a list"}, odd).added == ["ok"]


ids = st.sampled_from(["a", "b", "c", "d", "e", "f"])
steps_strategy = st.lists(
    st.builds(lambda i, s: step(i, config={"state": s}), ids, st.sampled_from(["X", "Y"])),
    max_size=6,
    unique_by=lambda s: s["id"],
)
nested = st.builds(
    lambda top, inner: doc(*top, {"id": "blk", "type": "control.if", "then": inner}),
    steps_strategy,
    steps_strategy,
).filter(
    lambda d: (
        len({s["id"] for s in d["steps"][:-1]} & {s["id"] for s in d["steps"][-1]["then"]}) == 0
    )
)


@given(nested, nested)
def test_diff_is_symmetric(old: dict[str, Any], new: dict[str, Any]) -> None:
    forward, backward = diff_steps(old, new), diff_steps(new, old)
    assert set(forward.added) == set(backward.removed)
    assert set(forward.removed) == set(backward.added)
    assert set(forward.changed) == set(backward.changed)
    assert set(forward.moved) == set(backward.moved)
    assert diff_steps(old, old).empty
