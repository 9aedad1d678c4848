"""The computed scopes hold in real runs: every golden scenario, played through the
interpreter, has at each step's start an envelope its scope accepts.

The envelope checked is the snapshot written after the step before, so
steps it does not describe are skipped: those before the first snapshot, the
first step of a loop body or a catch, and the first after a loop or a
tryCatch ends (entering and leaving them sets or restores the loop variables
and ``error`` without a snapshot), and snapshots with redacted or truncated
values ("***" is not the value's type). A field the
analysis calls always there must be there, with a kind it allows: a scope
that is too sure of itself fails here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from golden.golden_scenarios import DEFINITIONS, SCENARIOS, Scenario
from jsonschema import Draft202012Validator
from workflow_core.definitions import FOR_EACH, TRY_CATCH, Definition, step_at
from workflow_core.interpreter import AttemptStatus, RecordStepAttempt, WriteSnapshot
from workflow_core.typeflow import env_schema
from workflow_core.validation import analyse_types

ENTERED = (".body.steps[0]", ".catch.steps[0]")


def _masked(value: Any) -> bool:
    text = json.dumps(value)
    return '"***"' in text or '"$truncated"' in text


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_step_starts_with_an_envelope_its_scope_accepts(scenario: Scenario) -> None:
    document = json.loads((DEFINITIONS / scenario.definition_file).read_text())
    analysis = analyse_types(document, scenario.registry())
    steps = Definition.parse(document).steps
    blocks = {
        path for path in analysis.scopes if step_at(steps, path).type in (FOR_EACH, TRY_CATCH)
    }
    envelope: Any = None
    checked = 0
    for step in scenario.play().history:
        for effect in step.transition.effects:
            if isinstance(effect, WriteSnapshot):
                envelope = effect.envelope
            if not isinstance(effect, RecordStepAttempt):
                continue
            if effect.node_path in blocks and effect.status is not AttemptStatus.STARTED:
                envelope = None  # the block's end changed the envelope: no snapshot of it
            if effect.status is not AttemptStatus.STARTED or envelope is None:
                continue
            if _masked(envelope) or effect.node_path.endswith(ENTERED):
                continue
            scope = analysis.scope(effect.node_path)
            assert scope is not None, effect.node_path
            in_catch = scope.env.error.obj is not None
            names = ["payload", "vars", "meta", *(["error"] if in_catch else [])]
            instance = {name: envelope[name] for name in names}
            validator = Draft202012Validator(env_schema(scope.env, with_error=in_catch))
            problems = [
                f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)
            ]
            assert problems == [], (effect.node_path, problems)
            checked += 1
    assert checked > 0
