"""Flow control in the pure core: concurrency keys, admission, queued runs, auto-pause."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from golden.golden_driver import T0, Driver, definition, start_command
from golden.golden_stubs import stub_action, stub_registry
from validation_support import definition as draft
from validation_support import email_registry, found
from workflow_core.auto_pause import WindowError, parse_window, should_pause
from workflow_core.concurrency import (
    Admission,
    ConcurrencyKeyError,
    admit,
    concurrency_key,
    free_slots,
    limit_reason,
)
from workflow_core.definitions import AutoPause, Concurrency
from workflow_core.interpreter import (
    BeginRun,
    CancelRun,
    Continue,
    FinishRun,
    RequestAction,
    RunStatus,
    advance,
)
from workflow_core.validation import validate_definition

REGISTRY = stub_registry(stub_action("work"))
CALL = {"id": "c", "type": "action.call", "config": {"actionId": "work", "version": 1}}


def limited(**concurrency: Any) -> Any:
    return definition(CALL, concurrency={"limit": 2, **concurrency})


def errors(**root: Any) -> list[tuple[str, str, str, str | None, str]]:
    report = validate_definition(draft(**root), registry=email_registry())
    return [(e.severity, e.code.value, e.step_path, e.pointer, e.message) for e in report.errors]


# --- publish validation -------------------------------------------------------------


def test_a_valid_concurrency_and_auto_pause_publish_cleanly() -> None:
    found_errors = errors(
        concurrency={"limit": 3, "key": {"$expr": "payload.from"}, "onLimit": "CANCEL_NEW"},
        autoPause={"failureRate": 0.5, "window": "PT5M", "minRuns": 20},
    )
    assert [e for e in found_errors if e[0] == "error"] == []


@pytest.mark.parametrize(
    ("concurrency", "wanted"),
    [
        ({"limit": 0}, "field 'concurrency.limit': Input should be greater than or equal to 1"),
        ({"limit": 2, "onLimit": "DROP"}, "field 'concurrency.onLimit': Input should be 'QUEUE'"),
        ({}, "field 'concurrency.limit' is required"),
        ({"limit": 2, "keys": "x"}, "unknown field 'concurrency.keys'"),
        ({"limit": 2, "key": "payload.a"}, "field 'concurrency.key'"),
    ],
)
def test_a_bad_concurrency_shape_is_refused_naming_the_field(
    concurrency: dict[str, Any], wanted: str
) -> None:
    found_errors = errors(concurrency=concurrency)
    assert any(e[1] == "INVALID_DEFINITION" and wanted in e[4] for e in found_errors), found_errors


@pytest.mark.parametrize(
    ("source", "code", "wanted"),
    [
        ("payload.(", "INVALID_EXPR", "concurrency.key:"),
        ("$now()", "DISALLOWED_FUNCTION", "concurrency.key:"),
        ("vars.customer", "INVALID_FLOW_CONTROL", "concurrency.key reads vars: only payload"),
    ],
)
def test_a_bad_concurrency_key_is_located_at_root(source: str, code: str, wanted: str) -> None:
    found_errors = errors(concurrency={"limit": 1, "key": {"$expr": source}})
    assert [(e[1], e[2], e[3]) for e in found_errors if e[0] == "error"] == [
        (code, "root", "/concurrency/key")
    ]
    assert wanted in found_errors[0][4]


@pytest.mark.parametrize(
    ("auto_pause", "wanted"),
    [
        ({"failureRate": 1.5}, "field 'autoPause.failureRate': Input should be less than"),
        ({"failureRate": 0}, "field 'autoPause.failureRate': Input should be greater than 0"),
        ({"failureRate": 0.5, "minRuns": 0}, "field 'autoPause.minRuns'"),
    ],
)
def test_a_bad_auto_pause_shape_is_refused(auto_pause: dict[str, Any], wanted: str) -> None:
    found_errors = errors(autoPause=auto_pause)
    assert any(wanted in e[4] for e in found_errors), found_errors


@pytest.mark.parametrize("window", ["5 minutes", "P1M", "PT", "PT1S", "P30D"])
def test_a_bad_auto_pause_window_is_located(window: str) -> None:
    found_errors = errors(autoPause={"failureRate": 0.5, "window": window})
    assert [(e[1], e[3]) for e in found_errors if e[0] == "error"] == [
        ("INVALID_FLOW_CONTROL", "/autoPause/window")
    ]
    assert f"autoPause.window {window!r}" in found_errors[0][4]


def test_validation_findings_helper_still_reports_other_steps() -> None:
    report = validate_definition(
        draft({"id": "s", "type": "state.set", "config": {}}, concurrency={"limit": 0}),
        registry=email_registry(),
    )
    codes = {code for _, code, _ in found(report)}
    assert "INVALID_DEFINITION" in codes
    assert "INVALID_CONFIG" in codes


# --- key and admission --------------------------------------------------------------


def test_the_key_is_the_expression_as_text_or_the_whole_workflow() -> None:
    keyed = limited(key={"$expr": "payload.customer"})
    assert concurrency_key(keyed, {"customer": "acme"}, now=T0) == "acme"
    assert concurrency_key(keyed, {"customer": 42.0}, now=T0) == "42"
    assert concurrency_key(limited(), {"customer": "acme"}, now=T0) == ""
    assert concurrency_key(definition(CALL), {}, now=T0) is None


@pytest.mark.parametrize(
    ("payload", "wanted"),
    [
        ({}, "must give a string or number, got nothing (null)"),
        ({"customer": {"id": 1}}, "must give a string or number, got dict"),
        ({"customer": True}, "must give a string or number, got bool"),
        ({"customer": "x" * 501}, "gave 501 characters (at most 500)"),
    ],
)
def test_a_key_that_is_not_a_string_or_number_is_refused(payload: Any, wanted: str) -> None:
    keyed = limited(key={"$expr": "payload.customer"})
    with pytest.raises(
        ConcurrencyKeyError, match=r"concurrency\.key .payload\.customer."
    ) as caught:
        concurrency_key(keyed, payload, now=T0)
    assert wanted in caught.value.message


def test_a_key_expression_that_fails_names_the_expression() -> None:
    keyed = limited(key={"$expr": "$number(payload.customer)"})
    with pytest.raises(ConcurrencyKeyError, match="failed"):
        concurrency_key(keyed, {"customer": "abc"}, now=T0)


@pytest.mark.parametrize(
    ("on_limit", "in_flight", "queued", "wanted"),
    [
        ("QUEUE", 1, 0, Admission.START),
        ("QUEUE", 2, 0, Admission.QUEUE),
        ("QUEUE", 1, 1, Admission.QUEUE),  # arrival order: nobody overtakes the queue
        ("CANCEL_NEW", 2, 0, Admission.CANCEL),
        ("FAIL_NEW", 3, 0, Admission.FAIL),
        ("FAIL_NEW", 0, 0, Admission.START),
    ],
)
def test_admission(on_limit: str, in_flight: int, queued: int, wanted: Admission) -> None:
    limit = Concurrency(limit=2, on_limit=on_limit)  # type: ignore[arg-type]
    assert admit(limit, in_flight=in_flight, queued=queued) is wanted


def test_free_slots_and_reasons() -> None:
    limit = Concurrency(limit=2)
    assert [free_slots(limit, in_flight=n) for n in (0, 1, 2, 5)] == [2, 1, 0, 0]
    assert limit_reason(limit, "acme", 2, Admission.QUEUE).startswith(
        "queued: 2 run(s) of key 'acme' in flight, concurrency limit 2"
    )
    assert "the workflow" in limit_reason(limit, "", 2, Admission.FAIL)


# --- the run: queued, begun, canceled, failed ---------------------------------------


def test_a_queued_run_does_nothing_until_begin_run() -> None:
    driver = Driver(limited(), REGISTRY, lambda effect, state: None)
    queued = driver.send(start_command(admission=Admission.QUEUE, reason="queued: full"))
    assert queued.state.status is RunStatus.QUEUED
    assert [e.type for e in queued.effects] == ["AppendLog"]
    assert driver.send(Continue(command_id="c", now=T0)).effects == []
    begun = driver.send(BeginRun(command_id="b", now=T0 + timedelta(seconds=5)))
    assert begun.state.status is RunStatus.RUNNING
    assert [e.type for e in begun.effects if isinstance(e, RequestAction)] == ["RequestAction"]
    again = driver.send(BeginRun(command_id="b2", now=T0))
    assert [e.type for e in again.effects] == ["AppendLog"]  # not queued: ignored


def test_a_queued_run_can_be_canceled() -> None:
    driver = Driver(limited(), REGISTRY, lambda effect, state: None)
    driver.send(start_command(admission=Admission.QUEUE, reason="queued"))
    canceled = driver.send(CancelRun(command_id="x", now=T0, reason="operator"))
    assert canceled.state.status is RunStatus.CANCELED
    assert [e.status.value for e in canceled.effects if isinstance(e, FinishRun)] == ["CANCELED"]


@pytest.mark.parametrize(
    ("admission", "status"), [(Admission.CANCEL, "CANCELED"), (Admission.FAIL, "FAILED")]
)
def test_cancel_new_and_fail_new_end_the_run_with_the_reason(
    admission: Admission, status: str
) -> None:
    definition_ = limited(onLimit="FAIL_NEW")
    start = start_command(admission=admission, reason="2 run(s) in flight, concurrency limit 2")
    transition = advance(definition_, None, start, registry=REGISTRY)
    assert transition.state.status.value == status
    finish = [e for e in transition.effects if isinstance(e, FinishRun)]
    assert len(finish) == 1
    assert finish[0].error is not None
    assert finish[0].error.name == "CONCURRENCY_LIMIT"
    assert finish[0].error.message == "run not started: 2 run(s) in flight, concurrency limit 2"
    assert not any(isinstance(e, RequestAction) for e in transition.effects)


# --- auto-pause ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT5M", 300), ("PT1H30M", 5400), ("P1D", 86400), ("PT10S", 10), ("PT90.5S", 90.5)],
)
def test_windows_are_iso_durations(text: str, seconds: float) -> None:
    assert parse_window(text).total_seconds() == seconds


def test_a_window_of_months_is_refused() -> None:
    with pytest.raises(WindowError, match="not an ISO 8601 duration"):
        parse_window("P1M")


def test_should_pause_needs_enough_runs_and_the_rate() -> None:
    rule = AutoPause(failure_rate=0.5, window="PT5M", min_runs=4)
    assert not should_pause(rule, finished=3, failed=3).pause  # too few runs
    assert not should_pause(rule, finished=4, failed=1).pause  # 25 %
    verdict = should_pause(rule, finished=4, failed=2)
    assert verdict.pause
    assert verdict.reason == (
        "auto-pause: 2 of 4 runs failed in the last PT5M (failure rate 50% >= 50%, at least 4 runs)"
    )
    assert not should_pause(rule, finished=0, failed=0).pause
