"""control.callWorkflow (SPEC section 6)."""

from __future__ import annotations

from typing import Any

from golden.golden_driver import child_done, expr, run, scripted
from golden.golden_stubs import stub_registry
from workflow_core.interpreter import RunStatus, StartChildRun, StartRun, advance
from workflow_core.interpreter.ids import child_run_id

REGISTRY = stub_registry()


def call(**extra: Any) -> dict[str, Any]:
    step = {"id": "call", "type": "control.callWorkflow", "workflowId": "child-wf"}
    step.update(extra)
    return step


def test_call_workflow_starts_a_deterministic_child_and_parks() -> None:
    driver = run([call(inputMapping={"x": expr("payload.n")})], REGISTRY, payload={"n": 2})
    start = driver.effects_of(StartChildRun)[0]
    assert start.child_run_id == child_run_id("run-1", "call", [])
    assert (start.workflow_version, start.payload, start.call_depth) == (None, {"x": 2}, 1)
    assert driver.state is not None
    assert driver.state.status is RunStatus.WAITING


def test_call_workflow_output_mapping_reads_the_child_envelope() -> None:
    child_env = {
        "payload": {"x": 2},
        "vars": {"result": 42},
        "meta": {"state": "DONE"},
        "error": None,
    }
    responder = scripted(children=lambda s: child_done(s, envelope=child_env))
    steps = [
        call(
            workflowVersion=3,
            outputMapping={"vars.answer": expr("vars.result"), "vars.st": expr("meta.state")},
        )
    ]
    driver = run(steps, REGISTRY, responder)
    assert driver.state is not None
    assert driver.state.envelope["vars"] == {"answer": 42, "st": "DONE"}
    assert driver.effects_of(StartChildRun)[0].workflow_version == 3


def test_failed_child_raises_non_retryable_action_error() -> None:
    responder = scripted(children=lambda s: child_done(s, "FAILED"))
    driver = run([call()], REGISTRY, responder)
    assert driver.state is not None
    error = driver.state.envelope["error"]
    assert (error["category"], error["name"]) == ("ActionError", "CHILD_RUN_FAILED")
    assert error["data"]["childRunId"] == driver.effects_of(StartChildRun)[0].child_run_id
    assert error["data"]["childError"] == {"name": "X", "message": "child failed"}


def test_canceled_child_raises_action_error() -> None:
    driver = run([call()], REGISTRY, scripted(children=lambda s: child_done(s, "CANCELED")))
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "CHILD_RUN_CANCELED"


def test_call_depth_is_capped() -> None:
    driver = run([call()], REGISTRY, call_depth=10)
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "CALL_DEPTH_EXCEEDED"
    assert driver.effects_of(StartChildRun) == []


def test_child_ids_differ_per_loop_item() -> None:
    loop = {
        "id": "l",
        "type": "control.forEach",
        "items": expr("[1, 2]"),
        "itemVar": "i",
        "body": [call()],
    }
    driver = run([loop], REGISTRY, scripted(children=lambda s: child_done(s, envelope={})))
    ids = [s.child_run_id for s in driver.effects_of(StartChildRun)]
    assert len(set(ids)) == 2


def test_return_in_a_child_ends_the_child_succeeded() -> None:
    steps = [
        {"id": "r", "type": "control.return"},
        {"id": "never", "type": "state.set", "config": {"state": "X"}},
    ]
    driver = run(steps, REGISTRY, parent_run_id="p", parent_step_id="call", call_depth=1)
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    assert driver.state.envelope["meta"]["state"] is None
    assert driver.state.parent_run_id == "p"


def test_stale_child_result_is_ignored() -> None:
    driver = run([call()], REGISTRY)
    start = driver.effects_of(StartChildRun)[0]
    wrong = child_done(start).model_copy(update={"child_run_id": "other"})
    transition = driver.send(wrong)
    assert [e.type for e in transition.effects] == ["AppendLog"]
    assert isinstance(driver.history[0].command, StartRun)
    assert advance is not None
