"""Definition model: shapes of SPEC section 3, stable round trips, step paths."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError
from workflow_core.definitions import (
    CallWorkflowStep,
    Definition,
    ForEachStep,
    IfStep,
    NodeStep,
    ReturnStep,
    TryCatchStep,
    definition_json_schema,
    is_expr,
    parse_path,
    step_at,
    walk_steps,
)

DOCUMENT: dict[str, Any] = {
    "id": "0b6f3a56-0000-4000-8000-000000000001",
    "name": "Every shape",
    "description": "one of each step kind",
    "payloadSchemaRef": "payload.EmailWorkflowPayload.v1",
    "trigger": {"type": "event", "eventName": "INBOUND_EMAIL_RECEIVED"},
    "steps": [
        {"id": "s1", "type": "state.set", "config": {"state": "START"}},
        {
            "id": "t1",
            "type": "control.tryCatch",
            "try": [
                {
                    "id": "i1",
                    "type": "control.if",
                    "condition": {"$expr": "payload.x == 1"},
                    "then": [{"id": "r1", "type": "control.return"}],
                    "else": [
                        {
                            "id": "a1",
                            "type": "action.call",
                            "config": {
                                "actionId": "x",
                                "version": 1,
                                "args": {"k": {"$expr": "1"}},
                            },
                            "retry": {"maxAttempts": 3, "backoffMs": 100},
                            "onError": {"policy": "continue"},
                        }
                    ],
                }
            ],
            "catch": [{"id": "s2", "type": "state.set", "config": {"state": "CAUGHT"}}],
            "captureErrorAs": "err",
        },
        {
            "id": "f1",
            "type": "control.forEach",
            "items": {"$expr": "payload.items"},
            "itemVar": "item",
            "onItemError": "continue",
            "body": [{"id": "s3", "type": "state.set", "config": {"state": "ITEM"}}],
        },
        {
            "id": "c1",
            "type": "control.callWorkflow",
            "workflowId": "child",
            "inputMapping": {"a": {"$expr": "vars.a"}},
            "outputMapping": {"vars.b": {"$expr": "payload.b"}},
        },
    ],
}


def test_round_trip_is_stable_for_every_step_kind() -> None:
    parsed = Definition.parse(copy.deepcopy(DOCUMENT))
    assert parsed.dump() == DOCUMENT
    assert Definition.parse(parsed.dump()).dump() == DOCUMENT


def test_steps_are_discriminated_by_type() -> None:
    parsed = Definition.parse(DOCUMENT)
    kinds = [type(located.step) for located in walk_steps(parsed.steps)]
    assert kinds == [
        NodeStep, TryCatchStep, IfStep, ReturnStep, NodeStep, NodeStep, ForEachStep, NodeStep,
        CallWorkflowStep,
    ]  # fmt: skip


def test_version_field_in_body_is_ignored() -> None:
    assert Definition.parse({**DOCUMENT, "version": 7}).dump() == DOCUMENT


def test_unknown_key_on_a_step_is_refused_with_its_location() -> None:
    document = copy.deepcopy(DOCUMENT)
    document["steps"][0]["confg"] = {}
    with pytest.raises(ValidationError) as caught:
        Definition.parse(document)
    assert any("confg" in str(error["loc"]) for error in caught.value.errors())


@pytest.mark.parametrize(
    ("step", "fragment"),
    [
        ({"id": "x", "type": "control.if", "then": []}, "condition"),
        ({"id": "x", "type": "control.forEach", "items": {"$expr": "1"}, "body": []}, "itemVar"),
        ({"id": "", "type": "state.set"}, "id"),
        (
            {
                "id": "x",
                "type": "control.forEach",
                "items": {"$expr": "1"},
                "itemVar": "i",
                "body": [],
                "concurrency": 0,
            },
            "concurrency",
        ),
        ({"id": "x", "type": "notdotted"}, "type"),
    ],
)
def test_malformed_steps_are_refused(step: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Definition.parse({"name": "n", "steps": [step]})
    assert fragment in str(caught.value)


def test_walk_gives_the_spec_path_grammar() -> None:
    parsed = Definition.parse(DOCUMENT)
    paths = {located.step.id: located.path for located in walk_steps(parsed.steps)}
    assert paths["r1"] == "root.steps[1].try.steps[0].then.steps[0]"
    assert paths["a1"] == "root.steps[1].try.steps[0].else.steps[0]"
    assert paths["s2"] == "root.steps[1].catch.steps[0]"
    assert paths["s3"] == "root.steps[2].body.steps[0]"
    for step_id, path in paths.items():
        assert step_at(parsed.steps, path).id == step_id


@pytest.mark.parametrize("bad", ["", "steps[0]", "root.steps[x]", "root.steps[0].nope.steps[1]"])
def test_malformed_paths_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="path"):
        parse_path(bad)


def test_paths_to_missing_steps_raise_key_error() -> None:
    parsed = Definition.parse(DOCUMENT)
    with pytest.raises(KeyError):
        step_at(parsed.steps, "root.steps[9]")
    with pytest.raises(KeyError):
        step_at(parsed.steps, "root.steps[0].then.steps[0]")


def test_is_expr_accepts_only_the_exact_shape() -> None:
    assert is_expr({"$expr": "1"})
    assert not is_expr({"$expr": 1})
    assert not is_expr({"$expr": "1", "other": 2})
    assert not is_expr("$expr")


def test_definition_json_schema_describes_steps() -> None:
    schema = definition_json_schema()
    assert "steps" in schema["properties"]
    assert {"IfStep", "ForEachStep", "NodeStep"} <= set(schema["$defs"])
