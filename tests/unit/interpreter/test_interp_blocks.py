"""control.if, control.forEach, control.tryCatch, control.return (SPEC section 6)."""

from __future__ import annotations

from typing import Any

import pytest
from golden.golden_driver import attempts, complete, expr, run, scripted
from golden.golden_stubs import stub_action, stub_registry
from workflow_core.interpreter import RequestAction, RunStatus

REGISTRY = stub_registry(stub_action("work"))


def setv(step_id: str, name: str, value: Any) -> dict[str, Any]:
    return {
        "id": step_id,
        "type": "transform.assign",
        "config": {"assign": {f"vars.{name}": value}},
    }


def boom(step_id: str = "boom", **extra: Any) -> dict[str, Any]:
    config = {"fail": True, "category": "ActionError", "message": "boom"}
    return {"id": step_id, "type": "test.maybeFail", "config": config, **extra}


def if_step(condition: str, then: list[Any], otherwise: list[Any] | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {
        "id": "if",
        "type": "control.if",
        "condition": expr(condition),
        "then": then,
    }
    if otherwise is not None:
        step["else"] = otherwise
    return step


def loop(items: str, body: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "loop",
        "type": "control.forEach",
        "items": expr(items),
        "itemVar": "it",
        "body": body,
        **extra,
    }


def try_catch(body: list[Any], catch: list[Any], **extra: Any) -> dict[str, Any]:
    return {"id": "tc", "type": "control.tryCatch", "try": body, "catch": catch, **extra}


def final_vars(driver: Any) -> dict[str, Any]:
    assert driver.state is not None
    return dict(driver.state.envelope["vars"])


@pytest.mark.parametrize(
    ("condition", "branch"),
    [
        ("true", "then"),
        ("false", "else"),
        ("'x'", "then"),
        ("''", "else"),
        ("0", "else"),
        ("[0, 1]", "then"),
        ("[]", "else"),
        ("{}", "else"),
        ("{'a': 1}", "then"),
        ("payload.none", "else"),
    ],
)
def test_if_picks_a_branch_by_jsonata_truthiness(condition: str, branch: str) -> None:
    driver = run([if_step(condition, [setv("t", "b", "then")], [setv("e", "b", "else")])], REGISTRY)
    assert final_vars(driver)["b"] == branch


def test_if_without_else_and_false_condition_goes_on() -> None:
    driver = run([if_step("false", [setv("t", "b", 1)]), setv("after", "after", True)], REGISTRY)
    assert final_vars(driver) == {"after": True}


def test_if_condition_failure_is_an_expression_error_with_node_path() -> None:
    driver = run([setv("x", "x", 1), if_step("$nope()", [])], REGISTRY)
    assert driver.state is not None
    error = driver.state.envelope["error"]
    assert (error["category"], error["nodePath"], error["stepId"]) == (
        "ExpressionError",
        "root.steps[1]",
        "if",
    )
    assert error["data"]["source"] == "$nope()"


def test_for_each_sets_item_and_index_and_restores_previous_values() -> None:
    body = [setv("b", "seen", expr("$append(vars.seen, [[vars.it, vars.itIndex]])"))]
    steps = [setv("pre", "it", "old"), loop("['a', 'b']", body)]
    variables = final_vars(run(steps, REGISTRY))
    assert variables["seen"] == [["a", 0], ["b", 1]]
    assert variables["it"] == "old"
    assert "itIndex" not in variables


def test_for_each_null_items_is_empty_and_non_array_is_validation_error() -> None:
    driver = run([loop("null", [boom()]), setv("after", "after", 1)], REGISTRY)
    assert final_vars(driver) == {"after": 1}
    driver = run([loop("{'a': 1}", [])], REGISTRY)
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "ITEMS_NOT_ARRAY"


def test_for_each_items_are_frozen_when_the_loop_starts() -> None:
    body = [
        setv("grow", "list", expr("$append(vars.list, 9)")),
        setv("c", "count", expr("$coalesce(vars.count, 0) + 1")),
    ]
    steps = [setv("init", "list", [1, 2]), loop("vars.list", body)]
    assert final_vars(run(steps, REGISTRY))["count"] == 2


def test_for_each_continue_collects_item_errors_and_goes_on() -> None:
    body = [
        {
            "id": "maybe",
            "type": "test.maybeFail",
            "config": {"fail": expr("vars.it = 2"), "value": 1},
        },
        setv("ok", "last", expr("vars.it")),
    ]
    variables = final_vars(run([loop("[1, 2, 3]", body, onItemError="continue")], REGISTRY))
    assert variables["last"] == 3
    assert [e["index"] for e in variables["itErrors"]] == [1]
    assert variables["itErrors"][0]["error"]["name"] == "STUB_FAILED"


def test_for_each_fail_propagates_the_item_error_and_restores_vars() -> None:
    driver = run([loop("[1, 2]", [boom()])], REGISTRY)
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED
    assert "it" not in driver.state.envelope["vars"]
    assert ("root.steps[0]", 1, "FAILED") in attempts(driver)


def test_for_each_concurrency_above_one_runs_items_in_order() -> None:
    body = [
        {
            "id": "w",
            "type": "action.call",
            "config": {"actionId": "work", "version": 1, "args": {"i": expr("vars.it")}},
        }
    ]
    driver = run([loop("[3, 1, 2]", body, concurrency=4)], REGISTRY)
    assert [r.args["i"] for r in driver.effects_of(RequestAction)] == [3, 1, 2]


def test_try_catch_sets_error_and_capture_then_clears_error() -> None:
    catch = [setv("seen", "seenError", expr("error.name"))]
    steps = [try_catch([boom(), setv("skipped", "skipped", 1)], catch, captureErrorAs="caught")]
    driver = run(steps, REGISTRY)
    assert driver.state is not None
    variables = driver.state.envelope["vars"]
    assert variables["seenError"] == "STUB_FAILED"
    assert variables["caught"]["nodePath"] == "root.steps[0].try.steps[0]"
    assert "skipped" not in variables
    assert driver.state.envelope["error"] is None
    assert driver.state.status is RunStatus.SUCCEEDED


def test_try_catch_error_in_catch_propagates_outward() -> None:
    inner = try_catch([boom("b1")], [boom("b2")])
    outer = {**try_catch([inner], [setv("outer", "outer", expr("error.stepId"))]), "id": "outer"}
    driver = run([outer], REGISTRY)
    assert final_vars(driver)["outer"] == "b2"


def test_try_catch_nested_inner_catches_first() -> None:
    inner = try_catch([boom()], [setv("inner", "by", "inner")])
    outer = {**try_catch([inner], [setv("outer", "by", "outer")]), "id": "outer"}
    assert final_vars(run([outer], REGISTRY))["by"] == "inner"


def test_try_catch_catches_after_retries_are_exhausted() -> None:
    flaky = boom(retry={"maxAttempts": 3, "backoffMs": 10, "retryOn": ["ActionError"]})
    flaky["config"]["retryable"] = True
    driver = run([try_catch([flaky], [setv("c", "caught", True)])], REGISTRY)
    statuses = [s for (p, _, s) in attempts(driver) if p == "root.steps[0].try.steps[0]"]
    assert statuses == [
        "STARTED",
        "RETRY_SCHEDULED",
        "STARTED",
        "RETRY_SCHEDULED",
        "STARTED",
        "FAILED",
    ]
    assert final_vars(driver)["caught"] is True


def test_on_error_continue_is_not_caught() -> None:
    steps = [try_catch([boom(onError={"policy": "continue"})], [setv("c", "caught", True)])]
    variables = final_vars(run(steps, REGISTRY))
    assert "caught" not in variables
    assert variables["lastError"]["name"] == "STUB_FAILED"


def test_return_ends_the_run_at_once_and_is_never_caught() -> None:
    steps = [
        try_catch(
            [loop("[1, 2]", [{"id": "ret", "type": "control.return"}])], [setv("c", "caught", 1)]
        ),
        setv("after", "after", 1),
    ]
    driver = run(steps, REGISTRY)
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    assert "caught" not in driver.state.envelope["vars"]
    assert "after" not in driver.state.envelope["vars"]
    assert "it" not in driver.state.envelope["vars"]
    closed = [(p, s) for (p, _, s) in attempts(driver) if s != "STARTED"]
    assert closed[-3:] == [
        ("root.steps[0].try.steps[0].body.steps[0]", "SUCCEEDED"),
        ("root.steps[0].try.steps[0]", "SUCCEEDED"),
        ("root.steps[0]", "SUCCEEDED"),
    ]


def test_empty_branches_complete_immediately() -> None:
    steps = [if_step("true", []), loop("[]", []), try_catch([], []), setv("end", "end", 1)]
    driver = run(steps, REGISTRY)
    assert final_vars(driver) == {"end": 1}


def test_for_each_resumes_at_the_right_item_after_a_crash() -> None:
    body = [
        {
            "id": "w",
            "type": "action.call",
            "config": {"actionId": "work", "version": 1, "args": {"i": expr("vars.it")}},
        }
    ]
    driver = run(
        [loop("[10, 20, 30]", body)],
        REGISTRY,
        scripted({"work": lambda r: None if r.args["i"] == 20 else complete(r, {})}),
    )
    state = driver.state
    assert state is not None
    assert state.frames[-1].item_index == 1
    from workflow_core.interpreter import RunState

    revived = RunState.model_validate_json(state.model_dump_json())
    driver.state = revived
    request = driver.effects_of(RequestAction)[-1]
    driver.send(complete(request, {}))
    assert driver.effects_of(RequestAction)[-1].args == {"i": 30}


def test_return_inside_catch_completes_the_catch_and_clears_error() -> None:
    steps = [try_catch([boom()], [setv("c", "c", 1), {"id": "ret", "type": "control.return"}])]
    driver = run(steps, REGISTRY)
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    assert driver.state.envelope["error"] is None
