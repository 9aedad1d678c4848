"""Golden histories: recorded commands-in / effects-out, replayed through the core.

A difference means the interpreter's behaviour changed. If the change is
deliberate, re-record with ``SLUICE_GOLDEN_RECORD=1 make test-fast`` and review
the diff of ``tests/golden/histories/`` like code.
"""

from __future__ import annotations

import json
import os

import pytest
from golden.golden_scenarios import HISTORIES, SCENARIOS, Scenario
from workflow_core.interpreter import COMMAND_ADAPTER, EFFECTS_ADAPTER, RunStatus, advance

RECORD = os.environ.get("SLUICE_GOLDEN_RECORD") == "1"


def _path(scenario: Scenario) -> str:
    return str(HISTORIES / f"{scenario.name}.json")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_golden_history_is_reproduced(scenario: Scenario) -> None:
    produced = scenario.play().record()
    if RECORD:
        with open(_path(scenario), "w") as out:
            json.dump(produced, out, indent=1, sort_keys=True)
            out.write("\n")
    with open(_path(scenario)) as stored:
        expected = json.load(stored)
    assert json.loads(json.dumps(produced, sort_keys=True)) == expected


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_replaying_recorded_commands_gives_recorded_effects(scenario: Scenario) -> None:
    """Replay from the file alone: parse each command, advance, compare its effects."""
    with open(_path(scenario)) as stored:
        history = json.load(stored)
    definition, registry, state = scenario.definition(), scenario.registry(), None
    for entry in history:
        command = COMMAND_ADAPTER.validate_python(entry["command"])
        transition = advance(definition, state, command, registry=registry)
        effects = EFFECTS_ADAPTER.dump_python(transition.effects, mode="json")
        assert effects == entry["effects"], command.type
        assert transition.rejected == entry["rejected"]
        state = transition.state
    assert state is not None
    assert state.status in {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED}


def test_email_shape_outcomes_are_the_business_states() -> None:
    outcomes = {s.name: s.play().state for s in SCENARIOS if s.name.startswith("email_")}
    states = {name: state.envelope["meta"]["state"] for name, state in outcomes.items() if state}
    assert states == {
        "email_new_ticket": "EMAIL_PROCESSED",
        "email_existing_ticket": "CHECKING_EMAIL_THREADING",
        "email_failure_to_task": "AWAITING_MANUAL_RESOLUTION",
        "email_no_defaults": "ERROR_NO_TICKET_DEFAULTS",
    }
    assert all(state and state.status is RunStatus.SUCCEEDED for state in outcomes.values())
