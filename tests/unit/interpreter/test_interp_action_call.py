"""action.call (SPEC sections 6, 7 and 9)."""

from __future__ import annotations

from golden.golden_driver import complete, expr, fail, run, scripted
from golden.golden_stubs import stub_action, stub_registry
from workflow_core.definitions import RetryPolicy
from workflow_core.interpreter import RequestAction, RunStatus, WriteSnapshot

SCHEMA_IN = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
SCHEMA_OUT = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string"}, "token": {"type": "string", "x-sensitive": True}},
}
REGISTRY = stub_registry(
    stub_action("make", input_schema=SCHEMA_IN, output_schema=SCHEMA_OUT),
    stub_action("hinted", retry_hint=RetryPolicy(max_attempts=2, backoff_ms=10)),
)


def call(step_id: str = "c", args: object = None, **config: object) -> dict[str, object]:
    body = {"actionId": "make", "version": 1, "args": args if args is not None else {"n": 1}}
    body.update(config)
    return {"id": step_id, "type": "action.call", "config": body}


def answer(output: object) -> scripted:  # type: ignore[valid-type]
    return scripted({"make": lambda r: complete(r, output)})


def test_action_args_are_resolved_recursively_and_requested() -> None:
    args = {"n": expr("payload.n"), "nested": [{"deep": expr("payload.n * 2")}]}
    driver = run([call(args=args)], REGISTRY, answer({"id": "t1"}), payload={"n": 3})
    request = driver.effects_of(RequestAction)[0]
    assert request.args == {"n": 3, "nested": [{"deep": 6}]}
    assert request.side_effectful is True
    assert request.attempt == 1
    assert request.idempotency_key == "run-1:c"


def test_action_output_is_saved_at_save_as() -> None:
    driver = run([call(saveAs="vars.ticket")], REGISTRY, answer({"id": "t1"}))
    assert driver.state is not None
    assert driver.state.envelope["vars"]["ticket"] == {"id": "t1"}
    assert driver.state.status is RunStatus.SUCCEEDED


def test_action_invalid_args_fail_with_validation_error_without_request() -> None:
    driver = run([call(args={"n": "x"})], REGISTRY)
    assert driver.effects_of(RequestAction) == []
    assert driver.state is not None
    error = driver.state.envelope["error"]
    assert (error["category"], error["name"]) == ("ValidationError", "INVALID_ACTION_ARGS")
    assert error["data"]["violations"][0]["pointer"] == "/n"


def test_action_invalid_output_fails_with_validation_error() -> None:
    driver = run([call(saveAs="vars.t")], REGISTRY, answer({"nope": 1}))
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "INVALID_ACTION_OUTPUT"
    assert "t" not in driver.state.envelope["vars"]


def test_unknown_action_at_run_time_is_a_validation_error() -> None:
    driver = run([call(actionId="ghost")], REGISTRY)
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "UNKNOWN_ACTION"
    assert driver.state.envelope["error"]["category"] == "ValidationError"


def test_idempotency_key_expression_wins_over_the_derived_key() -> None:
    driver = run(
        [call(idempotencyKey=expr("'p:' & payload.m"))],
        REGISTRY,
        answer({"id": "x"}),
        payload={"m": "m1"},
    )
    assert driver.effects_of(RequestAction)[0].idempotency_key == "p:m1"


def test_derived_idempotency_key_includes_the_loop_index_vector() -> None:
    loop = {
        "id": "outer",
        "type": "control.forEach",
        "items": expr("[1, 2]"),
        "itemVar": "o",
        "body": [
            {
                "id": "inner",
                "type": "control.forEach",
                "items": expr("['a', 'b']"),
                "itemVar": "i",
                "body": [call()],
            }
        ],
    }
    driver = run([loop], REGISTRY, answer({"id": "x"}))
    keys = [r.idempotency_key for r in driver.effects_of(RequestAction)]
    assert keys == ["run-1:c:0.0", "run-1:c:0.1", "run-1:c:1.0", "run-1:c:1.1"]


def test_step_on_error_wins_over_config_on_error() -> None:
    failing = scripted({"make": lambda r: fail(r, "ActionError", name="NOPE")})
    inline_continue = call(onError={"policy": "continue"})
    driver = run([inline_continue], REGISTRY, failing)
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    assert driver.state.envelope["vars"]["lastError"]["name"] == "NOPE"
    step_fail = {**call(onError={"policy": "continue"}), "onError": {"policy": "fail"}}
    driver = run([step_fail], REGISTRY, failing)
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED


def test_action_error_carries_name_category_and_data_into_the_envelope() -> None:
    failing = scripted({"make": lambda r: fail(r, "ActionError", name="DUPLICATE", data={"k": 1})})
    driver = run([call()], REGISTRY, failing)
    assert driver.state is not None
    error = driver.state.envelope["error"]
    assert error["name"] == "DUPLICATE"
    assert error["category"] == "ActionError"
    assert error["data"] == {"k": 1}
    assert error["nodePath"] == "root.steps[0]"
    assert error["stepId"] == "c"
    assert error["at"].endswith("Z")


def test_action_retry_hint_is_used_when_the_step_has_no_retry() -> None:
    calls: list[int] = []

    def flaky(request: RequestAction) -> object:
        calls.append(request.attempt)
        return fail(request, "TransientError") if request.attempt == 1 else complete(request, {})

    step = {"id": "h", "type": "action.call", "config": {"actionId": "hinted", "version": 1}}
    driver = run([step], REGISTRY, scripted({"hinted": flaky}))
    assert calls == [1, 2]
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED


def test_sensitive_output_fields_join_meta_redactions() -> None:
    driver = run([call(saveAs="vars.t")], REGISTRY, answer({"id": "t1", "token": "s3cr3t-token"}))
    assert driver.state is not None
    assert "/vars/t/token" in driver.state.envelope["meta"]["redactions"]
    snapshot = driver.effects_of(WriteSnapshot)[-1].envelope
    assert snapshot["vars"]["t"]["token"] == "***"
