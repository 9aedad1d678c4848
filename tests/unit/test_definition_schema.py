"""The committed JSON Schema of the definition format: current, a valid 2020-12 schema,
every example (and the reference workflow) valid under it, broken shapes refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import Draft202012Validator
from workflow_core.definitions import CONTROL_TYPES, definition_json_schema

ROOT = Path(__file__).parents[2]
COMMITTED = ROOT / "schemas" / "workflow-definition.schema.json"
REFERENCE = ROOT / "libs/helpdesk/src/sluice_helpdesk/workflows/inbound_email.json"
DOCUMENTS = [*sorted((ROOT / "examples").glob("*.json")), REFERENCE]
SCHEMA: dict[str, Any] = json.loads(COMMITTED.read_text())
VALIDATOR = Draft202012Validator(SCHEMA)


def test_committed_schema_is_the_generated_one_and_valid() -> None:
    assert definition_json_schema() == SCHEMA  # `make schemas` writes it; `make lint` checks it
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == "https://sluice.dev/schemas/workflow-definition.json"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_examples_validate_against_the_committed_schema(path: Path) -> None:
    document = json.loads(path.read_text())
    assert [e.message for e in VALIDATOR.iter_errors(document)] == []
    assert not VALIDATOR.is_valid({**document, "steps": "none"})


@pytest.mark.parametrize("control", sorted(CONTROL_TYPES))
def test_a_control_type_is_never_taken_for_a_node_step(control: str) -> None:
    # a node step of type control.* would make a block step match two shapes (oneOf fails)
    node_like = {"name": "x", "steps": [{"id": "a", "type": control, "config": {}}]}
    assert not VALIDATOR.is_valid(node_like)
    ret = {"name": "x", "steps": [{"id": "r", "type": "control.return"}]}
    assert VALIDATOR.is_valid(ret)


def test_broken_shapes_are_located() -> None:
    document = {"name": "x", "trigger": {"type": "cron"}, "steps": [
        {"id": "ok", "type": "state.set", "config": {"state": "A"}},
        {"id": "if", "type": "control.if", "condition": {"$expr": "true"}},  # no then
        {"id": "bad id!", "type": "state.set"},
    ], "extra": 1}  # fmt: skip
    where = sorted(
        "/" + "/".join(map(str, e.absolute_path)) for e in VALIDATOR.iter_errors(document)
    )
    assert where == ["/", "/steps/1", "/steps/2", "/trigger"]
    assert VALIDATOR.is_valid({"$schema": "./workflow-definition.schema.json", "name": "x",
                               "steps": []})  # fmt: skip
