"""The ``timer.delay`` node: a timer wait, fired by FireTimer, never a sleep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from golden.golden_driver import T0, attempts, expr, run, scripted
from golden.golden_stubs import stub_registry
from workflow_core.interpreter import (
    AppendLog,
    CancelRun,
    FireTimer,
    RegisterWait,
    ReleaseWait,
    RunStatus,
    WaitKind,
)
from workflow_core.registry.builtin_nodes import MAX_DELAY_MS

REGISTRY = stub_registry()
NO_TIMERS = scripted()  # answers nothing: the run stays parked on its timer


def never_fire(effect: Any, state: Any) -> None:
    return None


def delay(**config: object) -> dict[str, object]:
    return {"id": "d", "type": "timer.delay", "config": config}


def after() -> dict[str, object]:
    return {"id": "after", "type": "state.set", "config": {"state": "DONE"}}


def test_delay_duration_parks_on_a_timer_wait_due_after_the_duration() -> None:
    driver = run([delay(durationMs=90_000), after()], REGISTRY, never_fire)
    wait = driver.effects_of(RegisterWait)[0]
    assert (wait.kind, wait.step_id, wait.node_path) == (WaitKind.TIMER, "d", "root.steps[0]")
    assert wait.due_at == T0 + timedelta(seconds=90)
    assert driver.state is not None
    assert driver.state.status is RunStatus.WAITING
    assert attempts(driver) == [("root.steps[0]", 1, "STARTED")]


def test_delay_fired_timer_succeeds_the_step_and_the_run_goes_on() -> None:
    driver = run([delay(durationMs=90_000), after()], REGISTRY)
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    assert driver.state.envelope["meta"]["state"] == "DONE"
    release = driver.effects_of(ReleaseWait)[0]
    assert (release.kind, release.outcome.value) == (WaitKind.TIMER, "FIRED")
    fired = [s.command for s in driver.history if isinstance(s.command, FireTimer)]
    assert fired[0].now == T0 + timedelta(seconds=90)
    assert attempts(driver)[:2] == [
        ("root.steps[0]", 1, "STARTED"),
        ("root.steps[0]", 1, "SUCCEEDED"),
    ]


def test_delay_until_expression_is_evaluated_once_at_start() -> None:
    payload = {"at": "2025-01-01T10:30:00+01:00"}  # 09:30 UTC, 30 minutes after T0
    driver = run([delay(until=expr("payload.at"))], REGISTRY, never_fire, payload=payload)
    assert driver.effects_of(RegisterWait)[0].due_at == T0 + timedelta(minutes=30)


def test_delay_duration_from_expression() -> None:
    driver = run(
        [delay(durationMs=expr("payload.s * 1000"))], REGISTRY, never_fire, payload={"s": 5}
    )
    assert driver.effects_of(RegisterWait)[0].due_at == T0 + timedelta(seconds=5)


@pytest.mark.parametrize(
    "config",
    [{"durationMs": 0}, {"until": "2024-12-31T23:00:00Z"}],
    ids=["zero", "past"],
)
def test_delay_already_elapsed_continues_at_once_without_a_wait(config: dict[str, object]) -> None:
    driver = run([delay(**config), after()], REGISTRY, never_fire)
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    assert driver.effects_of(RegisterWait) == []
    assert any("already elapsed" in log.message for log in driver.effects_of(AppendLog))


@pytest.mark.parametrize(
    ("config", "payload", "message"),
    [
        ({"until": expr("payload.at")}, {"at": "2025-01-01T10:00:00"}, "no UTC offset"),
        ({"until": expr("payload.at")}, {"at": "tomorrow"}, "not an ISO 8601"),
        ({"until": expr("payload.at")}, {"at": 5}, "got int"),
        ({"until": expr("payload.at")}, {"at": "2027-01-01T00:00:00Z"}, "more than 366 days"),
        ({"durationMs": expr("payload.ms")}, {"ms": -1}, "between 0 and"),
        ({"durationMs": expr("payload.ms")}, {"ms": MAX_DELAY_MS + 1}, "between 0 and"),
        ({"durationMs": expr("payload.ms")}, {"ms": "10"}, "got str"),
    ],
)
def test_delay_bad_time_is_a_validation_error_at_the_step(
    config: dict[str, object], payload: dict[str, object], message: str
) -> None:
    driver = run([delay(**config)], REGISTRY, never_fire, payload=payload)
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED
    error = driver.state.envelope["error"]
    assert (error["category"], error["name"], error["stepId"]) == (
        "ValidationError",
        "INVALID_DELAY",
        "d",
    )
    assert message in error["message"]


def test_delay_cancel_releases_the_timer_wait() -> None:
    driver = run([delay(durationMs=60_000), after()], REGISTRY, never_fire)
    driver.send(CancelRun(command_id="x", now=T0, reason="no longer needed"))
    assert driver.state is not None
    assert driver.state.status is RunStatus.CANCELED
    release = driver.effects_of(ReleaseWait)[-1]
    assert (release.kind, release.outcome.value) == (WaitKind.TIMER, "CANCELED")


def test_delay_second_fire_of_the_same_timer_changes_nothing() -> None:
    driver = run(
        [delay(durationMs=1000), {**delay(durationMs=1000), "id": "d2"}], REGISTRY, never_fire
    )
    first = driver.effects_of(RegisterWait)[0]
    driver.send(FireTimer(command_id="x", now=T0, wait_id=first.wait_id))
    again = driver.send(FireTimer(command_id="x", now=T0, wait_id=first.wait_id))
    assert [type(e).__name__ for e in again.effects] == ["AppendLog"]
    assert driver.state is not None
    assert driver.state.status is RunStatus.WAITING  # on d2's own timer
