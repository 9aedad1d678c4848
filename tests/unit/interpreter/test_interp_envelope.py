"""Write paths, truthiness and expression failures at the unit level."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from golden.golden_driver import T0, expr, fail, fire, run, scripted
from golden.golden_stubs import stub_action, stub_registry
from workflow_core.interpreter import CancelRun, RecordStepAttempt, RunStatus
from workflow_core.interpreter.envelope import parse_path, write_all
from workflow_core.interpreter.evaluation import truthy
from workflow_core.interpreter.failures import StepFailureError

ENV: dict[str, Any] = {"payload": {"a": [1, {"b": 2}]}, "vars": {}, "meta": {"redactions": []}}


def test_parse_path_reads_dot_paths_and_unescapes_pointers() -> None:
    assert parse_path("payload.a.b") == ["payload", "a", "b"]
    assert parse_path("/vars/a~1b/c~0d") == ["vars", "a/b", "c~d"]


@pytest.mark.parametrize("path", ["payload", "/payload", "", "x.y", "/error/a", "vars.a..b", "."])
def test_parse_path_refuses_bad_paths(path: str) -> None:
    with pytest.raises(StepFailureError) as caught:
        parse_path(path)
    assert caught.value.error.name == "INVALID_ASSIGN_PATH"


def test_write_all_walks_into_arrays_and_leaves_the_input_alone() -> None:
    result = write_all(ENV, [("/payload/a/1/b", 3), ("payload.a.1.c", 4)])
    assert result["payload"]["a"] == [1, {"b": 3, "c": 4}]
    assert ENV["payload"]["a"] == [1, {"b": 2}]


@pytest.mark.parametrize(
    "path", ["/payload/a/7", "/payload/a/x", "/payload/a/0/b", "payload.a.0.b"]
)
def test_write_all_refuses_missing_indexes_and_scalars(path: str) -> None:
    with pytest.raises(StepFailureError):
        write_all(ENV, [(path, 1)])


def test_redactions_must_stay_a_list_of_pointers() -> None:
    with pytest.raises(StepFailureError) as caught:
        write_all(ENV, [("meta.redactions", "nope")])
    assert caught.value.error.name == "INVALID_REDACTIONS"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (1.5, True),
        (0.0, False),
        ("a", True),
        ([[], [0]], False),
        ([[1]], True),
        (object(), False),
    ],
)
def test_truthy_follows_jsonata_boolean_casting(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


def test_runaway_expression_is_recorded_as_the_step_failure() -> None:
    steps = [
        {
            "id": "a",
            "type": "transform.assign",
            "config": {"assign": {"vars.x": expr("$sum([1..9999999])")}},
        }
    ]
    started = datetime.now(UTC)
    driver = run(steps, stub_registry())
    assert (datetime.now(UTC) - started).total_seconds() < 5
    assert driver.state is not None
    error = driver.state.envelope["error"]
    assert error["category"] == "ExpressionError"
    assert error["nodePath"] == "root.steps[0]"
    failed = [e for e in driver.effects_of(RecordStepAttempt) if e.status.value == "FAILED"]
    assert failed[0].error is not None
    assert failed[0].error.category.value == "ExpressionError"


def test_state_set_accepts_an_expression_and_refuses_non_strings() -> None:
    driver = run(
        [{"id": "s", "type": "state.set", "config": {"state": expr("'S_' & payload.n")}}],
        stub_registry(),
        payload={"n": 1},
    )
    assert driver.state is not None
    assert driver.state.envelope["meta"]["state"] == "S_1"
    driver = run(
        [{"id": "s", "type": "state.set", "config": {"state": expr("1")}}], stub_registry()
    )
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "INVALID_STATE"


def test_cancel_while_parked_on_a_retry_does_not_end_the_attempt_twice() -> None:
    registry = stub_registry(stub_action("work"))
    step = {
        "id": "c",
        "type": "action.call",
        "retry": {"maxAttempts": 3, "backoffMs": 10},
        "config": {"actionId": "work", "version": 1},
    }
    driver = run([step], registry, scripted({"work": lambda r: fail(r)}, events=fire))
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED
    parked = run(
        [step], registry, scripted({"work": lambda r: fail(r) if r.attempt == 1 else None})
    )
    # the driver fired the retry; cancel now while attempt 2 is in flight, and
    # separately while parked on the retry timer
    first = parked.history[1].transition.state
    assert first.status is RunStatus.WAITING
    parked.state = first
    transition = parked.send(CancelRun(command_id="x", now=T0, reason="stop"))
    statuses = [e.status.value for e in transition.effects if isinstance(e, RecordStepAttempt)]
    assert statuses == []
    assert transition.state.status is RunStatus.CANCELED
    assert transition.state.active is None
    assert [e.type for e in transition.effects].count("ReleaseWait") == 1
