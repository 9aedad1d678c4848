"""Wire forms: camelCase JSON that round-trips exactly; the package re-exports."""

from __future__ import annotations

import json
from typing import Any

import workflow_core
from golden.golden_scenarios import SCENARIOS
from workflow_core.definitions import Definition
from workflow_core.interpreter import (
    COMMAND_ADAPTER,
    EFFECT_ADAPTER,
    RunState,
    advance,
    payload_violations,
)
from workflow_core.registry import create_registry


def _all_recorded() -> tuple[list[Any], list[Any], list[RunState]]:
    commands, effects, states = [], [], []
    for scenario in SCENARIOS:
        driver = scenario.play()
        for step in driver.history:
            commands.append(step.command)
            effects.extend(step.transition.effects)
            states.append(step.transition.state)
    return commands, effects, states


def test_commands_effects_and_states_round_trip_through_json() -> None:
    commands, effects, states = _all_recorded()
    assert {c.type for c in commands} >= {
        "StartRun",
        "CompleteAction",
        "ResumeWait",
        "FireTimer",
        "CompleteHumanTask",
        "ChildRunFinished",
        "CancelRun",
    }
    for command in commands:
        text = json.dumps(command.model_dump(mode="json"))
        assert COMMAND_ADAPTER.validate_python(json.loads(text)) == command
    for effect in effects:
        text = json.dumps(effect.model_dump(mode="json"))
        assert EFFECT_ADAPTER.validate_python(json.loads(text)) == effect
    for state in states:
        again = RunState.model_validate(json.loads(json.dumps(state.model_dump(mode="json"))))
        assert again == state


def test_wire_names_are_camel_case() -> None:
    _, effects, states = _all_recorded()
    dumped = states[-1].model_dump(mode="json")
    assert {"runId", "tenantId", "pendingAction", "workflowVersion"} <= set(dumped)
    request = next(e for e in effects if e.type == "RequestAction").model_dump(mode="json")
    assert {"requestId", "actionId", "idempotencyKey", "sideEffectful", "nodePath"} <= set(request)


def test_package_re_exports_the_interpreter_api() -> None:
    assert workflow_core.advance is advance
    assert workflow_core.RunState is RunState


def test_payload_violations_check_the_payload_schema_ref() -> None:
    registry = create_registry()
    definition = Definition.parse(
        {"name": "x", "payloadSchemaRef": "payload.EmailWorkflowPayload.v1", "steps": []}
    )
    assert payload_violations(definition, {"providerId": "p"}, registry=registry)
    good = {"providerId": "p", "emailData": {"id": "m", "from": {"email": "a@b.c"}, "body": {}}}
    assert payload_violations(definition, good, registry=registry) == []
    unknown = Definition.parse({"name": "x", "payloadSchemaRef": "payload.Nope.v1", "steps": []})
    assert payload_violations(unknown, good, registry=registry)[0].message.startswith("unknown")
    free = Definition.parse({"name": "x", "steps": []})
    assert payload_violations(free, [], registry=registry)
    assert payload_violations(free, {}, registry=registry) == []
