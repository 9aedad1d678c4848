"""Parallel control.forEach (concurrency > 1): item order, tolerance, crash, cancel, retry."""

from __future__ import annotations

import json
from typing import Any

from golden.golden_driver import (
    T0,
    Driver,
    attempts,
    complete,
    definition,
    event_for,
    expr,
    fail,
    start_command,
    task_done,
)
from golden.golden_stubs import stub_action, stub_registry
from hypothesis import given, settings
from hypothesis import strategies as st
from test_interp_blocks import loop
from workflow_core.interpreter import (
    CancelRun,
    Continue,
    RecordStepAttempt,
    RegisterWait,
    RequestAction,
    RetryRun,
    RunState,
    RunStatus,
    advance,
    lanes,
)
from workflow_core.interpreter.state import Frame, ItemResult

SECRET_OUT = {"type": "object", "properties": {"token": {"type": "string", "x-sensitive": True}}}
REGISTRY = stub_registry(stub_action("work"), stub_action("secret", output_schema=SECRET_OUT))
FORM = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}


def call(step_id: str = "w", save: str = "vars.out") -> dict[str, Any]:
    args = {"i": expr("vars.it"), "k": expr("vars.itIndex")}
    config = {"actionId": "work", "version": 1, "args": args, "saveAs": save}
    return {"id": step_id, "type": "action.call", "config": config}


def keep(step_id: str = "keep") -> dict[str, Any]:
    """Write a per-item key and a shared one (last item wins)."""
    assign = {"vars.last": expr("vars.out.v"), "vars.seen": expr("vars.it")}
    return {"id": step_id, "type": "transform.assign", "config": {"assign": assign}}


def silent(effect: Any, state: RunState) -> None:
    return None


def start(steps: list[Any]) -> Driver:
    driver = Driver(definition(*steps), REGISTRY, silent, roundtrip=True)
    driver.run(start_command({}))
    return driver


def open_requests(driver: Driver) -> list[RequestAction]:
    answered = {s.command.request_id for s in driver.history if hasattr(s.command, "request_id")}
    return [r for r in driver.effects_of(RequestAction) if r.request_id not in answered]


def answer(request: RequestAction) -> Any:
    item = request.args["i"]
    if isinstance(item, int) and item < 0:
        return fail(request, "ActionError", name=f"BAD_{-item}")
    return complete(request, {"v": item * 10 if isinstance(item, int) else item})


def drain(driver: Driver, order: list[int] | None = None) -> list[int]:
    """Answer open requests, choosing which one by ``order`` (indexes modulo the open
    ones); returns the number in flight before each answer."""
    in_flight, choices = [], list(order or [])
    while True:
        waiting = open_requests(driver)
        if not waiting:
            return in_flight
        in_flight.append(len(waiting))
        pick = choices.pop(0) % len(waiting) if choices else 0
        driver.send(answer(waiting[pick]))


def final_vars(driver: Driver) -> dict[str, Any]:
    assert driver.state is not None
    return dict(driver.state.envelope["vars"])


def test_up_to_n_items_run_at_once_and_the_rest_start_as_slots_free() -> None:
    driver = start([loop("[1, 2, 3, 4, 5]", [call()], concurrency=2)])
    first = open_requests(driver)
    assert [r.args["i"] for r in first] == [1, 2]
    assert first[0].idempotency_key == "run-1:w:0"
    assert first[1].idempotency_key == "run-1:w:1"
    state = driver.state
    assert state is not None
    assert state.status is RunStatus.RUNNING
    assert state.node_path == "root.steps[0]"  # the loop, while items are in flight
    driver.send(answer(first[1]))
    assert [r.args["i"] for r in open_requests(driver)] == [1, 3]
    assert max(drain(driver)) <= 2
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    assert final_vars(driver)["out"] == {"v": 50}  # saveAs: the last item's, as one at a time
    assert "it" not in final_vars(driver)


ORDERS = st.lists(st.integers(0, 10), max_size=12)


@settings(max_examples=25, deadline=None)
@given(ORDERS, st.sampled_from([2, 3, 5]))
def test_any_completion_order_gives_the_same_envelope(order: list[int], n: int) -> None:
    steps = [loop("[1, 2, 3, 4, 5]", [call(), keep()], concurrency=n)]
    reference = start(steps)
    drain(reference)
    shuffled = start(steps)
    in_flight = drain(shuffled, order)
    assert max(in_flight) <= n
    assert shuffled.state is not None
    assert reference.state is not None
    assert shuffled.state.envelope == reference.state.envelope
    assert final_vars(shuffled)["last"] == 50
    assert final_vars(shuffled)["seen"] == 5
    started = [
        (e.step_id, tuple(e.loop_indexes))
        for e in shuffled.effects_of(RecordStepAttempt)
        if e.status.value == "STARTED" and e.step_id == "w"
    ]
    assert sorted(started) == [("w", (i,)) for i in range(5)]  # each item once


def test_parallel_and_sequential_agree_when_items_only_set_values() -> None:
    body = [call(), keep()]
    one = start([loop("[1, 2, 3]", body)])
    drain(one)
    many = start([loop("[1, 2, 3]", body, concurrency=3)])
    drain(many, [2, 1, 0])
    assert final_vars(one) == final_vars(many)


@settings(max_examples=15, deadline=None)
@given(ORDERS, st.integers(0, 30))
def test_a_crash_between_any_two_commands_resumes_exactly_the_unfinished_items(
    order: list[int], crash_after: int
) -> None:
    steps = [loop("[1, 2, 3, 4, 5, 6]", [call(), keep()], concurrency=3)]
    reference = start(steps)
    drain(reference, order)
    # Replay the same commands, reloading the state from JSON after ``crash_after``.
    state: RunState | None = None
    for index, step in enumerate(reference.history):
        transition = advance(reference.definition, state, step.command, registry=REGISTRY)
        assert transition.model_dump(mode="json") == step.transition.model_dump(mode="json")
        state = transition.state
        if index == crash_after:
            state = RunState.model_validate(json.loads(state.model_dump_json()))
    starts = [
        a
        for a in attempts(reference)
        if a[0] == "root.steps[0].body.steps[0]" and a[2] == "STARTED"
    ]
    assert len(starts) == 6
    assert state is not None
    assert state.status is RunStatus.SUCCEEDED


def test_on_item_error_continue_records_errors_in_item_order() -> None:
    driver = start([loop("[1, -2, 3, -4]", [call()], concurrency=4, onItemError="continue")])
    drain(driver, [3, 0, 1, 0])
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    errors = final_vars(driver)["itErrors"]
    assert [e["index"] for e in errors] == [1, 3]
    assert [e["error"]["name"] for e in errors] == ["BAD_2", "BAD_4"]


def test_tolerated_failure_count_goes_on_then_fails_past_it() -> None:
    tolerant = start([loop("[-1, 2, -3]", [call()], concurrency=2, toleratedFailureCount=2)])
    drain(tolerant)
    assert tolerant.state is not None
    assert tolerant.state.status is RunStatus.SUCCEEDED
    assert [e["index"] for e in final_vars(tolerant)["itErrors"]] == [0, 2]
    strict = start([loop("[-1, 2, -3, 4]", [call()], concurrency=3, toleratedFailureCount=1)])
    drain(strict)
    assert strict.state is not None
    assert strict.state.status is RunStatus.FAILED
    assert strict.state.envelope["error"]["name"] == "BAD_3"


def test_tolerated_failure_percentage_counts_against_all_items() -> None:
    ok = start([loop("[-1, 2, 3, 4]", [call()], concurrency=2, toleratedFailurePercentage=25)])
    drain(ok)
    assert ok.state is not None
    assert ok.state.status is RunStatus.SUCCEEDED
    bad = start([loop("[-1, -2, 3, 4]", [call()], concurrency=2, toleratedFailurePercentage=25)])
    drain(bad)
    assert bad.state is not None
    assert bad.state.status is RunStatus.FAILED


def test_a_failing_item_past_tolerance_cancels_the_items_in_flight() -> None:
    driver = start([loop("[-1, 2, 3]", [call()], concurrency=3)])
    first = open_requests(driver)
    driver.send(answer(first[0]))  # item 0 fails: the loop fails
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED
    ends = [(a[0], a[2]) for a in attempts(driver)]
    assert ends.count(("root.steps[0].body.steps[0]", "CANCELED")) == 2
    assert ("root.steps[0]", "FAILED") in ends
    late = driver.send(answer(first[1]))  # a late result changes nothing
    assert {e.type for e in late.effects} == {"AppendLog"}


def test_cancel_with_items_in_flight_cancels_each_once() -> None:
    driver = start([loop("[1, 2, 3]", [call()], concurrency=2)])
    driver.send(CancelRun(command_id="x", now=T0, reason="stop"))
    assert driver.state is not None
    assert driver.state.status is RunStatus.CANCELED
    canceled = [a for a in attempts(driver) if a[2] == "CANCELED"]
    assert canceled == [
        ("root.steps[0].body.steps[0]", 1, "CANCELED"),
        ("root.steps[0].body.steps[0]", 1, "CANCELED"),
        ("root.steps[0]", 1, "CANCELED"),
    ]


def test_continue_resends_every_item_request() -> None:
    driver = start([loop("[1, 2, 3]", [call()], concurrency=3)])
    again = driver.send(Continue(command_id="x", now=T0))
    assert [e.args["i"] for e in again.effects if isinstance(e, RequestAction)] == [1, 2, 3]


def test_nested_parallel_loops_route_to_the_inner_item() -> None:
    inner = {**loop("[vars.it * 10, vars.it * 10 + 1]", [call("in")], concurrency=2)}
    inner["id"], inner["itemVar"] = "inner", "jt"
    inner["body"][0]["config"]["args"] = {"i": expr("vars.jt"), "k": 0}
    driver = start([loop("[1, 2]", [inner], concurrency=2)])
    assert sorted(r.args["i"] for r in open_requests(driver)) == [10, 11, 20, 21]
    drain(driver, [3, 0, 1, 0])
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    keys = sorted(r.idempotency_key for r in driver.effects_of(RequestAction))
    assert keys == ["run-1:in:0.0", "run-1:in:0.1", "run-1:in:1.0", "run-1:in:1.1"]


def test_return_inside_an_item_ends_the_run_and_cancels_the_others() -> None:
    body = [call(), {"id": "ret", "type": "control.return"}]
    driver = start([loop("[1, 2]", body, concurrency=2)])
    driver.send(answer(open_requests(driver)[1]))
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    assert final_vars(driver)["out"] == {"v": 20}
    assert ("root.steps[0].body.steps[0]", 1, "CANCELED") in attempts(driver)


def test_retry_run_resumes_the_failed_item_and_the_canceled_ones() -> None:
    driver = start([loop("[-1, 2, 3]", [call(), keep()], concurrency=2)])
    first = open_requests(driver)
    driver.send(answer(first[0]))
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED
    retried = driver.send(RetryRun(command_id="x", now=T0))
    again = [e for e in retried.effects if isinstance(e, RequestAction)]
    assert [(r.args["i"], r.attempt, r.idempotency_key) for r in again] == [
        (-1, 2, "run-1:w:0"),
        (2, 2, "run-1:w:1"),
    ]
    for request in again:  # this time item 0 succeeds
        driver.send(complete(request, {"v": 0}))
    drain(driver)
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    assert final_vars(driver)["last"] == 30


def _waits(driver: Driver, kind: str) -> list[RegisterWait]:
    return [w for w in driver.effects_of(RegisterWait) if w.kind.value == kind]


def test_event_waits_and_human_tasks_in_items_are_routed_to_their_item() -> None:
    wait = {"id": "ev", "type": "event.wait", "config": {
        "eventName": "SHIPPED", "correlationKey": expr("$string(vars.it)"),
        "assign": {"vars.shipped": expr("event.payload")}}}  # fmt: skip
    task = {"id": "ok", "type": "human.task", "config": {
        "taskType": "review", "title": expr("'Item ' & $string(vars.it)"), "formSchema": FORM,
        "saveAs": "vars.review"}}  # fmt: skip
    driver = start([loop("[1, 2, 3]", [wait, task], concurrency=3)])
    state = driver.state
    assert state is not None
    assert state.status is RunStatus.WAITING
    assert len(state.open_waits()) == 3
    events = _waits(driver, "event")
    assert [w.correlation_key for w in events] == ["1", "2", "3"]
    for event in reversed(events):  # the last item first
        driver.send(event_for(event, {"item": event.correlation_key}))
    tasks = _waits(driver, "human_task")
    assert [t.task.title for t in tasks if t.task] == ["Item 3", "Item 2", "Item 1"]
    refused = driver.send(task_done(tasks[0], {"ok": "yes"}))  # breaks the form
    assert refused.rejected is not None
    for done in tasks:
        driver.send(task_done(done, {"ok": True}))
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    variables = final_vars(driver)
    assert variables["shipped"] == {"item": "3"}  # the last item's, though it resumed first
    assert variables["review"] == {"ok": True}


def test_sensitive_outputs_of_every_item_stay_redacted_after_the_merge() -> None:
    call_secret = {"id": "s", "type": "action.call", "config": {
        "actionId": "secret", "version": 1, "args": {}, "saveAs": "vars.cred"}}  # fmt: skip
    driver = start([loop("[1, 2]", [call_secret], concurrency=2)])
    for request in open_requests(driver):
        driver.send(complete(request, {"token": f"t{request.request_id[:4]}"}))
    assert driver.state is not None
    assert driver.state.envelope["meta"]["redactions"] == ["/vars/cred/token"]


def test_merge_applies_sets_and_deletions_in_item_order() -> None:
    """No step deletes a top-level key today; the merge still carries deletions."""
    base = {"payload": {"a": 1, "b": 2}, "vars": {"it": 0, "x": 1}, "meta": {"redactions": ["/p"]}}
    first = {"payload": {"a": 1}, "vars": {"it": 5, "x": 2}, "meta": {"redactions": ["/p", "/q"]}}
    second = {"payload": {"a": 3, "b": 2}, "vars": {"x": 3}, "meta": {"redactions": ["/p", "/r"]}}
    loop_frame = Frame(block_path="root.steps[0]", branch="lanes", results=[
        ItemResult(index=1, writes=lanes._writes(base, second, {"it", "itIndex"})),
        ItemResult(index=0, writes=lanes._writes(base, first, {"it", "itIndex"}), error={"e": 1}),
    ])  # fmt: skip
    merged = lanes.merge_results(base, loop_frame, "itErrors")
    assert merged["payload"] == {"a": 3}
    assert merged["vars"] == {"it": 0, "x": 3, "itErrors": [{"index": 0, "error": {"e": 1}}]}
    assert merged["meta"]["redactions"] == ["/p", "/q", "/r"]
    assert base["payload"] == {"a": 1, "b": 2}  # not changed in place


def test_nested_items_waits_are_all_open_and_cancel_releases_them() -> None:
    wait = {"id": "ev", "type": "event.wait", "config": {
        "eventName": "E", "correlationKey": expr("$string(vars.jt)")}}  # fmt: skip
    inner = {**loop("[1, 2]", [wait], concurrency=2), "id": "inner", "itemVar": "jt"}
    driver = start([loop("[1, 2]", [inner], concurrency=2)])
    assert driver.state is not None
    assert len(driver.state.open_waits()) == 4
    driver.send(CancelRun(command_id="x", now=T0, reason="stop"))
    assert driver.state.open_waits() == []
    released = [
        e for s in driver.history[-1:] for e in s.transition.effects if e.type == "ReleaseWait"
    ]
    assert len(released) == 4
