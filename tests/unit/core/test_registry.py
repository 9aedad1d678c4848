"""Registries refuse incomplete registrations and freeze after start-up."""

from __future__ import annotations

import pytest
from workflow_core.errors import RegistryError
from workflow_core.json_schema import violations
from workflow_core.registry import (
    EMAIL_PAYLOAD_REF,
    ActionSpec,
    NodeKind,
    NodeTypeSpec,
    UiMetadata,
    create_registry,
)

UI = UiMetadata(label="L", category="C", description="D")
OBJECT = {"type": "object"}


def compute_node(name: str = "demo.node", **changes: object) -> NodeTypeSpec:
    fields: dict[str, object] = {
        "type_name": name,
        "config_schema": OBJECT,
        "ui": UI,
        "handler": lambda config, context: None,
    }
    fields.update(changes)
    return NodeTypeSpec(**fields)  # type: ignore[arg-type]


def action(action_id: str = "demo_action", version: int = 1, **changes: object) -> ActionSpec:
    fields: dict[str, object] = {
        "action_id": action_id,
        "version": version,
        "input_schema": OBJECT,
        "output_schema": OBJECT,
        "side_effectful": True,
        "ui": UI,
    }
    fields.update(changes)
    return ActionSpec(**fields)  # type: ignore[arg-type]


def test_core_registers_the_email_payload_and_builtin_nodes() -> None:
    registry = create_registry()
    assert EMAIL_PAYLOAD_REF in registry.schemas
    assert {"state.set", "transform.assign", "action.call", "event.wait", "human.task"} <= {
        spec.type_name for spec in registry.node_types.all()
    }


def test_email_payload_schema_accepts_the_spec_example_and_extra_fields() -> None:
    schema = create_registry().schemas.get(EMAIL_PAYLOAD_REF)
    assert schema is not None
    payload = {
        "emailData": {"id": "m1@x", "from": {"email": "a@b.c"}, "body": {"text": "hi"}, "x": 1},
        "providerId": "p1",
        "extra": True,
    }
    assert violations(schema, payload) == []
    problems = violations(schema, {"emailData": {"from": {}}, "providerId": 3})
    pointers = {problem.pointer for problem in problems}
    assert {"/emailData", "/emailData/from", "/providerId"} <= pointers


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (compute_node("control.custom"), "reserved"),
        (compute_node("nodots"), "namespace.name"),
        (compute_node(config_schema={"type": "nonsense"}), "invalid JSON Schema"),
        (compute_node(output_schema={"type": "nonsense"}), "output schema: invalid JSON Schema"),
        (compute_node(handler=None), "needs a handler"),
        (compute_node(kind=NodeKind.BUILTIN), "built in"),
    ],
)
def test_incomplete_node_types_are_refused(spec: NodeTypeSpec, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        create_registry().node_types.register(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (action("Bad-Id"), "lower_snake_case"),
        (action(version=0), "version"),
        (action(output_schema={"type": 5}), "output schema"),
    ],
)
def test_incomplete_actions_are_refused(spec: ActionSpec, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        create_registry().actions.register(spec)


def test_missing_ui_metadata_is_refused() -> None:
    with pytest.raises(ValueError, match="label"):
        UiMetadata(label="", category="C", description="D")


def test_duplicates_are_refused_and_versions_coexist() -> None:
    registry = create_registry()
    registry.actions.register(action())
    registry.actions.register(action(version=2))
    assert registry.actions.versions("demo_action") == [1, 2]
    with pytest.raises(RegistryError, match="already registered"):
        registry.actions.register(action())
    with pytest.raises(RegistryError, match="already registered"):
        registry.schemas.register(EMAIL_PAYLOAD_REF, OBJECT)


def test_frozen_registry_refuses_every_registration() -> None:
    registry = create_registry().freeze()
    with pytest.raises(RegistryError, match="frozen"):
        registry.actions.register(action())
    with pytest.raises(RegistryError, match="frozen"):
        registry.node_types.register(compute_node())
    with pytest.raises(RegistryError, match="frozen"):
        registry.schemas.register("payload.Other.v1", OBJECT)


def test_public_forms_carry_schemas_and_ui() -> None:
    registry = create_registry()
    registry.actions.register(action())
    public = registry.actions.all()[0].public()
    assert public["inputSchema"] == OBJECT
    assert public["ui"]["label"] == "L"
    node = registry.node_types.get("event.wait")
    assert node is not None
    assert "correlationKey" in node.public()["configSchema"]["required"]
