"""RetryRun: an operator restarts a FAILED run at its failed step (SPEC section 13)."""

from __future__ import annotations

from typing import Any

from golden.golden_driver import (
    T0,
    Driver,
    attempts,
    child_done,
    complete,
    expr,
    fail,
    run,
    scripted,
)
from golden.golden_stubs import stub_action, stub_registry
from workflow_core.interpreter import RequestAction, RetryRun, RunStatus, StartChildRun

REGISTRY = stub_registry(stub_action("work"))


def retry(**changes: Any) -> RetryRun:
    return RetryRun(command_id="x", now=T0, reason="fixed upstream", **changes)


def call(args: Any) -> dict[str, Any]:
    return {
        "id": "c",
        "type": "action.call",
        "config": {"actionId": "work", "version": 1, "args": args},
    }


def flaky_until_retried() -> Any:
    return scripted(
        {
            "work": lambda r: (
                fail(r, "ActionError", name="DOWN")
                if r.attempt == 1 and r.args.get("i") == 2
                else complete(r, {})
            )
        }
    )


def test_retry_resumes_at_the_failed_item_with_the_same_key_and_next_attempt() -> None:
    loop = {
        "id": "l",
        "type": "control.forEach",
        "items": expr("[1, 2, 3]"),
        "itemVar": "i",
        "body": [call({"i": expr("vars.i")})],
    }
    driver = run(
        [
            {"id": "pre", "type": "transform.assign", "config": {"assign": {"vars.i": "outer"}}},
            loop,
        ],
        REGISTRY,
        flaky_until_retried(),
    )
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED
    assert driver.state.envelope["vars"]["i"] == "outer"
    failed_request = driver.effects_of(RequestAction)[-1]
    driver.send(retry())
    state = driver.run_more()
    assert state.status is RunStatus.SUCCEEDED
    assert state.envelope["error"] is None
    assert state.envelope["vars"]["i"] == "outer"
    requests = driver.effects_of(RequestAction)
    retried = requests[2]
    assert (retried.args, retried.attempt) == ({"i": 2}, 2)
    assert retried.idempotency_key == failed_request.idempotency_key
    assert requests[-1].args == {"i": 3}
    assert ("root.steps[1].body.steps[0]", 2, "SUCCEEDED") in attempts(driver)


def test_retry_applies_payload_and_vars_edits() -> None:
    driver = run(
        [call({"n": expr("payload.n")})],
        REGISTRY,
        scripted(
            {"work": lambda r: fail(r, "ActionError") if r.args["n"] == 0 else complete(r, {})}
        ),
        payload={"n": 0},
    )
    driver.send(retry(payload={"n": 5}, vars={"note": "edited"}))
    state = driver.run_more()
    assert state.status is RunStatus.SUCCEEDED
    assert state.envelope["vars"] == {"note": "edited"}
    assert driver.effects_of(RequestAction)[-1].args == {"n": 5}


def test_retry_of_a_run_that_did_not_fail_is_a_no_op() -> None:
    driver = run([], REGISTRY)
    transition = driver.send(retry())
    assert [e.type for e in transition.effects] == ["AppendLog"]
    assert transition.state.status is RunStatus.SUCCEEDED


def test_retry_of_a_failed_child_call_starts_a_new_child() -> None:
    step = {"id": "call", "type": "control.callWorkflow", "workflowId": "child"}
    outcomes = iter(["FAILED", "SUCCEEDED"])
    driver = run(
        [step], REGISTRY, scripted(children=lambda s: child_done(s, next(outcomes), envelope={}))
    )
    driver.send(retry())
    state = driver.run_more()
    assert state.status is RunStatus.SUCCEEDED
    first, second = driver.effects_of(StartChildRun)
    assert first.child_run_id != second.child_run_id


def test_retry_after_a_failing_block_reruns_the_block() -> None:
    steps = [
        {"id": "if", "type": "control.if", "condition": expr("$number(payload.x) > 0"), "then": []}
    ]
    driver = run(steps, REGISTRY, payload={"x": "abc"})
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED
    assert driver.state.failure is not None
    transition = driver.send(retry(payload={"x": "5"}))
    assert transition.state.status is RunStatus.SUCCEEDED
    assert transition.state.failure is None


def test_a_caught_error_leaves_nothing_to_retry() -> None:
    steps = [
        {
            "id": "tc",
            "type": "control.tryCatch",
            "try": [{"id": "f", "type": "test.maybeFail", "config": {"fail": True}}],
            "catch": [],
        }
    ]
    driver = run(steps, REGISTRY)
    assert driver.state is not None
    assert driver.state.failure is None
    assert isinstance(driver, Driver)


def test_retry_merge_patches_the_payload_and_vars_it_resumes_with() -> None:
    driver = run(
        [call({"n": expr("payload.n"), "keep": expr("payload.keep")})],
        REGISTRY,
        scripted(
            {"work": lambda r: fail(r, "ActionError") if r.args["n"] == 0 else complete(r, {})}
        ),
        payload={"n": 0, "keep": "k", "drop": True},
    )
    driver.send(retry(payload_patch={"n": 5, "drop": None}, vars_patch={"note": "patched"}))
    state = driver.run_more()
    assert state.status is RunStatus.SUCCEEDED
    assert state.envelope["payload"] == {"n": 5, "keep": "k"}
    assert state.envelope["vars"] == {"note": "patched"}
    assert driver.effects_of(RequestAction)[-1].args == {"n": 5, "keep": "k"}


def test_retry_from_another_step_than_the_failed_one_is_refused() -> None:
    steps = [
        {"id": "pre", "type": "state.set", "config": {"state": "A"}},
        {"id": "if", "type": "control.if", "condition": expr("$number(payload.x) > 0"), "then": []},
    ]
    driver = run(steps, REGISTRY, payload={"x": "abc"})
    refused = driver.send(retry(from_step_path="root.steps[0]", payload={"x": "5"}))
    assert refused.rejected is not None
    assert "only from its failed step, 'root.steps[1]'" in refused.rejected
    assert refused.state.status is RunStatus.FAILED
    same = driver.send(retry(from_step_path="root.steps[1]", payload={"x": "5"}))
    assert same.state.status is RunStatus.SUCCEEDED
