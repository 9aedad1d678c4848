"""Shadow runs in the core (``workflow_core.simulation.shadow``): a past run's recording
answers a draft, in memory.

A past run is played with the golden driver, its recording built as the shell would
load it (``golden_recording``), then a draft is shadow-run on it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from golden.golden_driver import (
    T0,
    Driver,
    Reply,
    child_done,
    complete,
    definition,
    event_for,
    expr,
    fail,
    fire,
    scripted,
    start_command,
    task_done,
)
from golden.golden_recording import recording_of
from golden.golden_stubs import stub_action, stub_registry
from hypothesis import given
from hypothesis import strategies as st
from test_properties import SETTINGS, pipelines, with_ids
from workflow_core.definitions import Definition
from workflow_core.interpreter import (
    CompleteAction,
    RegisterWait,
    RequestAction,
    RunState,
    WaitKind,
)
from workflow_core.interpreter.ids import unit_interval
from workflow_core.simulation import (
    REFUSED,
    Answer,
    RunRecording,
    ShadowResult,
    ShadowRun,
    diff_envelopes,
    outcome_changed,
)
from workflow_core.simulation.outcome import Outcome

REGISTRY = stub_registry(
    stub_action("work"), stub_action("notify"), stub_action("parse", side_effectful=False)
)
FORM = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}


def call(step_id: str, action: str = "work", **args: Any) -> dict[str, Any]:
    config = {
        "actionId": action,
        "version": 1,
        "args": args or {"n": 1},
        "saveAs": f"vars.{step_id}",
    }
    return {"id": step_id, "type": "action.call", "config": config}


def state(step_id: str, value: str) -> dict[str, Any]:
    return {"id": step_id, "type": "state.set", "config": {"state": value}}


def branch(condition: str, then: list[Any], otherwise: list[Any]) -> dict[str, Any]:
    return {"id": "b", "type": "control.if", "condition": expr(condition), "then": then,
            "else": otherwise}  # fmt: skip


def past(
    steps: list[Any], responder: Any = None, payload: dict[str, Any] | None = None
) -> RunRecording:
    driver = Driver(definition(*steps), REGISTRY, responder or scripted(), roundtrip=True)
    driver.run(start_command(payload or {}))
    return recording_of(driver)


def shadow(steps: list[Any], recording: RunRecording, **options: Any) -> ShadowResult:
    run = ShadowRun(definition(*steps), REGISTRY, recording, version=2, **options)
    assert run.start() == []
    return run.result()


def answers(result: ShadowResult) -> list[tuple[str, str]]:
    return [(c.step_id, c.answer.value) for c in result.calls]


# -- the property: a run shadowed through its own definition is itself --------------


def keyed_world(seed: int) -> Any:
    """Answers from a hash of (seed, idempotency key or wait id): every attempt of one
    call meets the same answer, as a recording (one row per key) can only tell."""

    def pick(key: str, n: int) -> int:
        return int(unit_interval(str(seed), key) * n)

    def respond(effect: Any, state: RunState) -> Reply:
        if isinstance(effect, RequestAction):
            choice = pick(effect.idempotency_key, 5)
            if choice == 3:
                return fail(effect, "TransientError")
            if choice == 4:
                return fail(effect, "ActionError", retryable=True)
            return complete(effect, {"n": choice})
        if isinstance(effect, RegisterWait):
            if effect.kind in (WaitKind.RETRY, WaitKind.TIMER):
                return fire(effect)
            choice = pick(effect.wait_id, 4)
            if choice == 0:
                return None  # never answered: the past run stays parked
            return fire(effect) if choice == 1 else event_for(effect, {"p": choice})
        return None

    return respond


@SETTINGS
@given(pipelines, st.integers(0, 2**16))
def test_a_run_shadowed_through_its_own_definition_is_reproduced(
    steps: list[Any], seed: int
) -> None:
    steps = with_ids(steps)
    registry = stub_registry(stub_action("work"))
    played = Driver(definition(*steps), registry, keyed_world(seed), roundtrip=True)
    played.run(start_command({"x": seed}, seed=seed), max_commands=300)
    recording = recording_of(played)
    run = ShadowRun(definition(*steps), registry, recording, version=1, max_commands=300)
    assert run.start() == []
    result = run.result()
    assert not result.outcome_changed, (result.past, result.draft)
    assert result.not_called == []
    assert {c.answer for c in result.calls} <= {Answer.RECORDED}
    made = [(r.step_id, r.idempotency_key, r.args) for r in played.effects_of(RequestAction)]
    assert sorted({(c.step_id, c.input["n"] if c.input else None) for c in result.calls},
                  key=repr) == sorted({(s, a["n"] if a else None) for s, _, a in made},
                                      key=repr)  # fmt: skip


# -- actions ---------------------------------------------------------------------------


def test_unchanged_draft_answers_every_call_from_the_recording() -> None:
    steps = [call("a"), call("c", "notify", to=expr("vars.a.id")), state("s", "DONE")]
    responder = scripted({"work": lambda r: complete(r, {"id": "T-1"}),
                          "notify": lambda r: complete(r, {"sent": True})})  # fmt: skip
    result = shadow(steps, past(steps, responder))
    assert answers(result) == [("a", "RECORDED"), ("c", "RECORDED")]
    assert [c.output for c in result.calls] == [{"id": "T-1"}, {"sent": True}]
    assert (result.draft.status, result.draft.state) == ("SUCCEEDED", "DONE")
    assert (result.outcome_changed, result.changes, result.not_called) == (False, [], [])
    assert result.stopped is None


def test_a_changed_branch_changes_the_outcome_and_names_the_unrecorded_call() -> None:
    before = [branch("payload.vip = true", [call("a")], [state("s", "NORMAL")])]
    after = [branch("payload.vip = true", [state("s", "NORMAL")], [call("a"), state("t", "X")])]
    result = shadow(after, past(before, payload={"vip": False}))
    assert answers(result) == [("a", "NO_RECORDING")]
    assert result.calls[0].output is None  # stubbed: null output, and it says so
    assert (result.past.state, result.draft.state) == ("NORMAL", "X")
    assert result.outcome_changed
    assert {c.pointer for c in result.changes} == {"/meta/state", "/vars/a"}


def test_a_call_the_draft_no_longer_makes_is_listed_as_not_called() -> None:
    before = [call("a"), call("c", "notify")]
    result = shadow([call("a")], past(before))
    assert [(u.step_id, u.action_id) for u in result.not_called] == [("c", "notify")]
    assert not result.outcome_changed  # same status and state; the calls differ


def test_changed_input_uses_the_recorded_answer_and_flags_it() -> None:
    recording = past([call("a", n=1)], scripted({"work": lambda r: complete(r, {"ok": 1})}))
    result = shadow([call("a", n=2)], recording)
    [made] = result.calls
    assert (made.answer, made.input, made.recorded_input) == (
        Answer.INPUT_CHANGED,
        {"n": 2},
        {"n": 1},
    )
    assert made.output == {"ok": 1}


def test_recorded_failure_answers_every_retry_and_fails_the_draft_alike() -> None:
    retried = {**call("a"), "retry": {"maxAttempts": 3, "backoffMs": 1000,
                                       "retryOn": ["TransientError"]}}  # fmt: skip
    recording = past([retried], scripted({"work": lambda r: fail(r, "TransientError")}))
    result = shadow([retried], recording)
    assert [(c.attempt, c.answer.value) for c in result.calls] == [
        (1, "RECORDED"), (2, "RECORDED"), (3, "RECORDED")]  # fmt: skip
    assert result.draft.status == result.past.status == "FAILED"
    assert not result.outcome_changed


def test_occurrences_in_a_loop_match_by_idempotency_key() -> None:
    loop = {"id": "l", "type": "control.forEach", "items": expr("payload.items"), "itemVar": "it",
            "body": [call("a", n=expr("vars.it"))]}  # fmt: skip
    world = scripted({"work": lambda r: complete(r, {"got": r.args["n"]})})
    result = shadow([loop], past([loop], world, payload={"items": [1, 2, 3]}))
    assert [(c.input, c.output, c.answer.value) for c in result.calls] == [
        ({"n": n}, {"got": n}, "RECORDED") for n in (1, 2, 3)]  # fmt: skip


def test_pure_actions_in_live_actions_are_left_to_the_shell_to_run() -> None:
    steps = [call("p", "parse", text="hi"), state("s", expr("vars.p.word"))]
    steps[1]["config"]["state"] = "PARSED"
    recording = past(steps, scripted({"parse": lambda r: complete(r, {"word": "old"})}))
    run = ShadowRun(definition(*steps), REGISTRY, recording, version=2,
                    live_actions={("parse", 1)})  # fmt: skip
    [request] = run.start()
    assert (request.action_id, request.args) == ("parse", {"text": "hi"})
    assert run.answer([CompleteAction(command_id="x", now=T0, request_id=request.request_id,
                                      output={"word": "new"})]) == []  # fmt: skip
    result = run.result()
    assert [(c.answer.value, c.output) for c in result.calls] == [("EXECUTED", {"word": "new"})]
    assert [c.pointer for c in result.changes] == ["/vars/p/word"]


# -- waits, tasks, timers, children ----------------------------------------------------


def wait(event: str = "APPROVED", **config: Any) -> dict[str, Any]:
    body = {"eventName": event, "correlationKey": expr("payload.id"),
            "assign": {"vars.by": expr("event.payload.by")}, **config}  # fmt: skip
    return {"id": "w", "type": "event.wait", "config": body}


def test_event_waits_get_the_recorded_event() -> None:
    recording = past([wait()], scripted(events=lambda w: event_for(w, {"by": "ann"})),
                     payload={"id": "7"})  # fmt: skip
    result = shadow([wait(), state("s", "OK")], recording)
    assert [(w.kind.value, w.answer.value) for w in result.waits] == [("event", "RECORDED")]
    assert result.draft_envelope["vars"] == {"by": "ann"}
    assert result.outcome_changed  # the draft sets a state the past run did not


def test_a_wait_for_another_event_stays_open_and_the_draft_parks() -> None:
    recording = past([wait()], scripted(events=lambda w: event_for(w, {"by": "ann"})),
                     payload={"id": "7"})  # fmt: skip
    result = shadow([wait("REJECTED")], recording)
    assert [w.answer.value for w in result.waits] == ["NO_RECORDING"]
    assert result.draft.status == "WAITING"
    assert result.stopped is not None
    assert "event at root.steps[0]" in result.stopped


def test_a_recorded_timeout_fires_the_drafts_timeout() -> None:
    timed = {**wait(timeoutMs=60_000), "onError": {"policy": "continue"}}
    recording = past([timed], scripted(events=fire), payload={"id": "7"})
    assert recording.waits[0].status == "FIRED"
    result = shadow([timed, state("s", "LATE")], recording)
    assert [w.answer.value for w in result.waits] == ["TIMED_OUT"]
    assert result.draft.state == "LATE"


def task(form: dict[str, Any] = FORM) -> dict[str, Any]:
    return {
        "id": "t",
        "type": "human.task",
        "config": {
            "taskType": "review",
            "title": "Review",
            "formSchema": form,
            "saveAs": "vars.review",
        },
    }


def test_human_tasks_get_the_recorded_completion_unless_the_form_refuses_it() -> None:
    recording = past([task()], scripted(tasks=lambda w: task_done(w, {"ok": True})))
    result = shadow([task()], recording)
    assert [w.answer.value for w in result.waits] == ["RECORDED"]
    assert result.draft_envelope["vars"] == {"review": {"ok": True}}
    strict = {**FORM, "required": ["ok", "reason"]}
    refused = shadow([task(strict)], recording)
    assert [w.answer.value for w in refused.waits] == ["REFUSED"]
    assert refused.draft.status == "WAITING"


def test_a_recorded_task_timeout_leaves_a_task_without_timeout_open() -> None:
    timed = task()
    timed["config"]["timeoutMs"] = 60_000
    recording = past([timed], scripted(tasks=fire))
    assert recording.waits[0].status == "FIRED"
    result = shadow([task()], recording)
    assert [w.answer.value for w in result.waits] == ["NO_RECORDING"]
    assert "no timeout" in result.waits[0].detail
    assert [w.answer.value for w in shadow([timed], recording).waits] == ["TIMED_OUT"]


def test_delays_fire_at_once_in_virtual_time() -> None:
    delay = {"id": "d", "type": "timer.delay", "config": {"durationMs": 3_600_000}}
    stamp = {
        "id": "x",
        "type": "transform.assign",
        "config": {"assign": {"vars.at": expr("nowIso()")}},
    }
    result = shadow([delay, stamp], past([state("s", "A")]))
    assert [w.answer.value for w in result.waits] == ["TIMER"]
    assert result.draft_envelope["vars"] == {"at": "2025-01-01T10:00:00.000Z"}


def child_call() -> dict[str, Any]:
    return {"id": "c", "type": "control.callWorkflow", "workflowId": "child-wf",
            "outputMapping": {"vars.got": expr("vars.result")}}  # fmt: skip


def test_child_runs_are_answered_by_the_recorded_child() -> None:
    envelope = {"payload": {}, "vars": {"result": 42}, "meta": {"state": "DONE"}, "error": None}
    recording = past([child_call()], scripted(children=lambda s: child_done(s, envelope=envelope)))
    result = shadow([child_call()], recording)
    assert [(w.kind.value, w.answer.value) for w in result.waits] == [("child_run", "RECORDED")]
    assert result.draft_envelope["vars"] == {"got": 42}
    none = shadow([child_call()], past([state("s", "A")]))
    assert [w.answer.value for w in none.waits] == ["NO_RECORDING"]
    assert none.draft.status == "WAITING"


# -- outcome, payload, bounds ---------------------------------------------------------


def test_a_payload_the_draft_refuses_is_a_refused_outcome() -> None:
    recording = past([state("s", "A")], payload={"x": 1})
    strict = Definition.parse({"name": "t", "payloadSchemaRef": "payload.Unknown.v9",
                               "steps": [state("s", "A")]})  # fmt: skip
    run = ShadowRun(strict, REGISTRY, recording, version=2)
    assert run.start() == []
    result = run.result()
    assert (result.draft.status, result.outcome_changed) == (REFUSED, True)
    assert result.draft.error is not None
    assert result.draft.error["name"] == "INVALID_PAYLOAD"


def test_a_draft_that_loops_stops_at_the_command_bound() -> None:
    loop = {"id": "l", "type": "control.forEach", "items": expr("[1..50]"), "itemVar": "it",
            "body": [call("a")]}  # fmt: skip
    result = shadow([loop], past([state("s", "A")]), max_commands=10)
    assert result.commands == 10
    assert result.stopped is not None
    assert "10 commands" in result.stopped


def test_diff_reports_pointers_kinds_and_truncates() -> None:
    before = {"meta": {"state": "A"}, "vars": {"a": 1, "gone": 2, "list": [1, 2]}, "payload": {}}
    after = {"meta": {"state": "B"}, "vars": {"a": 1.0, "new": 3, "list": [1, 5]}, "payload": {}}
    changes, truncated = diff_envelopes(before, after)
    assert [(c.pointer, c.kind) for c in changes] == [
        ("/meta/state", "changed"), ("/vars/gone", "removed"), ("/vars/list/1", "changed"),
        ("/vars/new", "added")]  # fmt: skip
    assert not truncated
    assert diff_envelopes({"vars": {"t": True}}, {"vars": {"t": 1}})[0][0].kind == "changed"
    many = {"vars": {str(i): i for i in range(150)}}
    assert diff_envelopes({"vars": {}}, many, limit=100)[1]


def test_outcome_compares_status_state_and_error_identity_not_wording() -> None:
    error = {"name": "BOOM", "stepId": "a", "message": "one", "at": "2025-01-01T09:00:00Z"}
    same = {**error, "message": "two", "at": "2025-01-02T09:00:00Z"}
    failed = Outcome(status="FAILED", error=error)
    assert not outcome_changed(failed, Outcome(status="FAILED", error=same))
    assert outcome_changed(failed, Outcome(status="FAILED", error={**error, "stepId": "b"}))
    assert outcome_changed(Outcome(status="SUCCEEDED", state="A"), Outcome(status="SUCCEEDED"))


def test_recorded_times_drive_the_virtual_clock() -> None:
    late = T0 + timedelta(minutes=5)
    recording = past([call("a")], scripted({"work": lambda r: complete(r, {})}))
    moved = recording.invocations[0].model_copy(update={"finished_at": late})
    recording = recording.model_copy(update={"invocations": [moved]})
    stamp = {
        "id": "x",
        "type": "transform.assign",
        "config": {"assign": {"vars.at": expr("nowIso()")}},
    }
    result = shadow([call("a"), stamp], recording)
    assert result.draft_envelope["vars"]["at"] == "2025-01-01T09:05:00.000Z"
