"""Cancel, stale and duplicate commands, re-drive, limits, compute nodes."""

from __future__ import annotations

from typing import Any

import pytest
from golden.golden_driver import (
    T0,
    Driver,
    complete,
    definition,
    expr,
    run,
    scripted,
    start_command,
)
from golden.golden_stubs import stub_action, stub_registry
from workflow_core.interpreter import (
    CancelChildRun,
    CancelRun,
    Continue,
    FinishRun,
    NoRunError,
    RecordStepAttempt,
    RegisterWait,
    ReleaseWait,
    RequestAction,
    RunLimits,
    RunStatus,
    advance,
)

REGISTRY = stub_registry(stub_action("work"))
CALL = {"id": "c", "type": "action.call", "config": {"actionId": "work", "version": 1}}
WAIT = {
    "id": "w",
    "type": "event.wait",
    "config": {"eventName": "E", "correlationKey": expr("'k'")},
}


def cancel() -> CancelRun:
    return CancelRun(command_id="x", now=T0, reason="operator")


def parked(steps: list[Any]) -> Driver:
    return run(steps, REGISTRY, scripted({"work": lambda r: None}))


def test_cancel_with_action_in_flight_records_late_result_without_new_step() -> None:
    driver = parked([CALL, {"id": "next", "type": "state.set", "config": {"state": "X"}}])
    request = driver.effects_of(RequestAction)[0]
    canceled = driver.send(cancel())
    assert canceled.state.status is RunStatus.CANCELED
    assert any(
        isinstance(e, RecordStepAttempt) and e.status.value == "CANCELED" for e in canceled.effects
    )
    assert any(isinstance(e, FinishRun) and e.status.value == "CANCELED" for e in canceled.effects)
    late = driver.send(complete(request, {}))
    assert [e.type for e in late.effects] == ["AppendLog"]
    assert "after cancel" in late.effects[0].message  # type: ignore[union-attr]
    assert late.state.status is RunStatus.CANCELED


def test_cancel_releases_waits() -> None:
    driver = parked([WAIT])
    canceled = driver.send(cancel())
    releases = [e for e in canceled.effects if isinstance(e, ReleaseWait)]
    assert [r.outcome.value for r in releases] == ["CANCELED"]
    assert canceled.state.waits == []


def test_cancel_cancels_a_child_run() -> None:
    driver = parked([{"id": "call", "type": "control.callWorkflow", "workflowId": "child"}])
    canceled = driver.send(cancel())
    assert [e.type for e in canceled.effects if isinstance(e, CancelChildRun)] == ["CancelChildRun"]


def test_cancel_of_a_final_run_is_a_no_op() -> None:
    driver = run([], REGISTRY)
    again = driver.send(cancel())
    assert again.state.status is RunStatus.SUCCEEDED
    assert [e.type for e in again.effects] == ["AppendLog"]


def test_duplicate_complete_action_is_a_no_op() -> None:
    driver = parked([CALL, CALL | {"id": "c2"}])
    request = driver.effects_of(RequestAction)[0]
    driver.send(complete(request, {}))
    state = driver.state
    duplicate = driver.send(complete(request, {}))
    assert state is not None
    assert duplicate.state.model_dump() == state.model_dump()
    assert [e.type for e in duplicate.effects] == ["AppendLog"]


def test_duplicate_start_run_is_a_no_op() -> None:
    driver = parked([WAIT])
    again = driver.send(start_command())
    assert [e.type for e in again.effects] == ["AppendLog"]
    assert again.state.status is RunStatus.WAITING


def test_continue_re_sends_a_pending_request_and_otherwise_does_nothing() -> None:
    driver = parked([CALL])
    resent = driver.send(Continue(command_id="x", now=T0))
    assert [e.type for e in resent.effects] == ["RequestAction"]
    assert resent.effects[0] == driver.effects_of(RequestAction)[0]
    waiting = parked([WAIT])
    nothing = waiting.send(Continue(command_id="x", now=T0))
    assert nothing.effects == []
    assert nothing.state.model_dump() == waiting.history[0].transition.state.model_dump()


def test_command_for_a_missing_run_is_a_shell_bug() -> None:
    with pytest.raises(NoRunError):
        advance(definition(), None, cancel(), registry=REGISTRY)


def test_step_limit_fails_the_run_with_a_clear_error() -> None:
    body = [{"id": "s", "type": "state.set", "config": {"state": "X"}}]
    loop = {
        "id": "l",
        "type": "control.forEach",
        "items": expr("[1..50]"),
        "itemVar": "i",
        "body": body,
    }
    transition = advance(
        definition(loop),
        None,
        start_command(),
        registry=REGISTRY,
        limits=RunLimits(max_steps_per_command=20),
    )
    assert transition.state.status is RunStatus.FAILED
    error = transition.state.envelope["error"]
    assert error["name"] == "STEP_LIMIT_EXCEEDED"
    assert "i" not in transition.state.envelope["vars"]


def test_compute_node_result_saved_and_failure_categorised() -> None:
    steps = [
        {
            "id": "e",
            "type": "test.echo",
            "config": {"value": expr("payload.n"), "saveAs": "vars.echo"},
        },
        {
            "id": "f",
            "type": "test.maybeFail",
            "config": {"fail": True, "category": "ValidationError"},
            "onError": {"policy": "continue"},
        },
    ]
    driver = run(steps, REGISTRY, payload={"n": 5})
    assert driver.state is not None
    variables = driver.state.envelope["vars"]
    assert variables["echo"] == {"value": 5, "step": "e", "loop": []}
    assert (variables["lastError"]["category"], variables["lastError"]["name"]) == (
        "ValidationError",
        "STUB_FAILED",
    )


def test_compute_handler_crash_fails_the_step_not_the_interpreter() -> None:
    driver = run([{"id": "x", "type": "test.crash", "config": {}}], REGISTRY)
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "HANDLER_CRASHED"


def test_unknown_node_type_at_run_time_is_a_validation_error() -> None:
    driver = run([{"id": "x", "type": "test.ghost", "config": {}}], REGISTRY)
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "UNKNOWN_NODE_TYPE"


def test_advance_does_not_mutate_its_input_state() -> None:
    driver = parked([CALL, WAIT])
    state = driver.state
    assert state is not None
    before = state.model_dump(mode="json")
    advance(
        driver.definition,
        state,
        complete(driver.effects_of(RequestAction)[0], {}),
        registry=REGISTRY,
    )
    assert state.model_dump(mode="json") == before


def test_wait_registration_effects_name_the_step() -> None:
    driver = parked([WAIT])
    wait = driver.effects_of(RegisterWait)[0]
    assert (wait.step_id, wait.node_path) == ("w", "root.steps[0]")
