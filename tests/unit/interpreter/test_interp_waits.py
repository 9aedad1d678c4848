"""event.wait and human.task (SPEC sections 6 and 8)."""

from __future__ import annotations

from datetime import timedelta

from golden.golden_driver import T0, event_for, expr, fire, run, scripted, task_done
from golden.golden_stubs import stub_registry
from workflow_core.interpreter import (
    RegisterWait,
    ReleaseWait,
    RunStatus,
    WaitKind,
    advance,
)

REGISTRY = stub_registry()
FORM = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}


def wait_step(**config: object) -> dict[str, object]:
    body: dict[str, object] = {"eventName": "APPROVED", "correlationKey": expr("payload.id")}
    body.update(config)
    return {"id": "w", "type": "event.wait", "config": body}


def task_step(**config: object) -> dict[str, object]:
    body: dict[str, object] = {
        "taskType": "review",
        "title": expr("'Review ' & payload.id"),
        "formSchema": FORM,
    }
    body.update(config)
    return {"id": "t", "type": "human.task", "config": body}


def test_event_wait_registers_with_defaults_and_parks() -> None:
    driver = run([wait_step()], REGISTRY, payload={"id": 42})
    wait = driver.effects_of(RegisterWait)[0]
    assert (wait.kind, wait.event_name, wait.correlation_key) == (WaitKind.EVENT, "APPROVED", "42")
    assert wait.due_at == T0 + timedelta(days=30)
    assert wait.accept_earlier_ms == 600_000
    assert driver.state is not None
    assert driver.state.status is RunStatus.WAITING


def test_event_wait_assign_sees_the_event() -> None:
    step = wait_step(
        assign={"vars.got": expr("event.payload.v"), "vars.key": expr("event.correlationKey")}
    )
    responder = scripted(events=lambda w: event_for(w, {"v": "yes"}))
    driver = run([step], REGISTRY, responder, payload={"id": "k1"})
    assert driver.state is not None
    assert driver.state.envelope["vars"] == {"got": "yes", "key": "k1"}
    assert driver.effects_of(ReleaseWait)[0].outcome.value == "RESOLVED"


def test_event_wait_timeout_is_a_timeout_error_never_retried() -> None:
    step = {**wait_step(timeoutMs=1000), "retry": {"maxAttempts": 3, "retryOn": ["TimeoutError"]}}
    driver = run([step], REGISTRY, scripted(events=fire), payload={"id": "k"})
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED
    error = driver.state.envelope["error"]
    assert (error["category"], error["stepId"]) == ("TimeoutError", "w")
    assert len(driver.effects_of(RegisterWait)) == 1


def test_event_wait_correlation_key_must_be_string_or_number() -> None:
    driver = run([wait_step(correlationKey=expr("payload"))], REGISTRY, payload={"id": 1})
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "INVALID_CORRELATION_KEY"


def test_event_wait_integral_float_key_is_text_without_fraction() -> None:
    driver = run(
        [wait_step(correlationKey=expr("payload.id / 2"), acceptEarlierEventsMs=5)],
        REGISTRY,
        payload={"id": 8},
    )
    wait = driver.effects_of(RegisterWait)[0]
    assert (wait.correlation_key, wait.accept_earlier_ms) == ("4", 5)


def test_stale_timer_after_the_event_is_a_no_op() -> None:
    driver = run(
        [wait_step(), task_step()], REGISTRY, scripted(events=event_for), payload={"id": "a"}
    )
    first = driver.effects_of(RegisterWait)[0]
    before = driver.state
    transition = driver.send(fire(first))
    assert transition.state.model_dump() == before.model_dump() if before else False
    assert [e.type for e in transition.effects] == ["AppendLog"]


def test_human_task_registers_task_fields() -> None:
    driver = run(
        [task_step(description="d", assignee="ann", timeoutMs=60_000)],
        REGISTRY,
        payload={"id": "x"},
    )
    wait = driver.effects_of(RegisterWait)[0]
    assert wait.kind is WaitKind.HUMAN_TASK
    assert wait.task is not None
    assert (wait.task.title, wait.task.description, wait.task.assignee) == ("Review x", "d", "ann")
    assert wait.task.form_schema == FORM
    assert wait.due_at == T0 + timedelta(minutes=1)


def test_human_task_form_schema_ref_comes_from_the_registry() -> None:
    step = task_step(formSchemaRef="payload.EmailWorkflowPayload.v1")
    del step["config"]["formSchema"]  # type: ignore[attr-defined]
    driver = run([step], REGISTRY, payload={"id": "x"})
    wait = driver.effects_of(RegisterWait)[0]
    assert wait.task is not None
    assert "emailData" in wait.task.form_schema["properties"]  # type: ignore[operator]


def test_human_task_unknown_form_schema_ref_fails_the_step() -> None:
    step = task_step(formSchemaRef="payload.Nope.v1")
    del step["config"]["formSchema"]  # type: ignore[attr-defined]
    driver = run([step], REGISTRY, payload={"id": "x"})
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "UNKNOWN_SCHEMA_REF"


def test_invalid_task_completion_is_rejected_and_the_task_stays_open() -> None:
    driver = run([task_step(saveAs="vars.review")], REGISTRY, payload={"id": "x"})
    wait = driver.effects_of(RegisterWait)[0]
    before = driver.state
    assert before is not None
    transition = driver.send(task_done(wait, {"ok": "not a bool"}))
    assert transition.rejected is not None
    assert transition.violations[0]["pointer"] == "/ok"
    assert transition.effects == []
    assert transition.state is before
    accepted = driver.send(task_done(wait, {"ok": True}))
    assert accepted.rejected is None
    assert accepted.state.envelope["vars"]["review"] == {"ok": True}
    assert accepted.state.status is RunStatus.SUCCEEDED


def test_human_task_timeout_fails_with_timeout_error() -> None:
    driver = run([task_step(timeoutMs=5)], REGISTRY, scripted(tasks=fire), payload={"id": "x"})
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "HUMAN_TASK_TIMED_OUT"
    assert driver.effects_of(ReleaseWait)[0].outcome.value == "TIMED_OUT"


def test_task_completion_for_a_finished_run_is_ignored() -> None:
    driver = run(
        [task_step()],
        REGISTRY,
        scripted(tasks=lambda w: task_done(w, {"ok": True})),
        payload={"id": "x"},
    )
    wait = driver.effects_of(RegisterWait)[0]
    assert driver.state is not None
    again = advance(
        driver.definition, driver.state, task_done(wait, {"ok": True}), registry=REGISTRY
    )
    assert again.state is driver.state
    assert [e.type for e in again.effects] == ["AppendLog"]
