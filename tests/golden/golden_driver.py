"""Test helpers around the core's in-memory shell (``workflow_core.simulation``).

Tests, golden histories, property tests and the benchmark drive runs with
``Driver`` (the core's ``Simulation``). A responder decides how the outside
world answers each effect that expects an answer (an action request, a wait, a
child run); the driver owns time (one second per command, timers fire at their
due time) and command ids. Here: the start command, answer builders and the
``scripted`` responder the tests share.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from workflow_core.definitions import Definition
from workflow_core.interpreter import (
    ActionFailure,
    ChildRunFinished,
    CompleteAction,
    CompleteHumanTask,
    EventData,
    FireTimer,
    RegisterWait,
    RequestAction,
    ResumeWait,
    RunState,
    StartChildRun,
    StartRun,
    WaitKind,
)
from workflow_core.registry import Registry
from workflow_core.simulation import Reply, Responder, Simulation

T0 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
Effect = Any


def start_command(payload: dict[str, Any] | None = None, **changes: Any) -> StartRun:
    fields: dict[str, Any] = {
        "command_id": "c0",
        "now": T0,
        "run_id": "run-1",
        "tenant_id": "acme",
        "workflow_id": "wf-1",
        "workflow_version": 1,
        "payload": payload or {},
        "seed": 7,
        "trace_id": "trace-1",
    }
    fields.update(changes)
    return StartRun(**fields)


# The loop itself lives in the core (shadow runs use it too): one driver, not two.
Driver = Simulation


def complete(request: RequestAction, output: Any = None) -> CompleteAction:
    return CompleteAction(command_id="x", now=T0, request_id=request.request_id, output=output)


def fail(
    request: RequestAction,
    category: str = "TransientError",
    *,
    name: str = "BOOM",
    retryable: bool = False,
    data: dict[str, Any] | None = None,
) -> CompleteAction:
    error = ActionFailure(
        category=category,  # type: ignore[arg-type]
        name=name,
        message=f"{request.action_id} failed",
        retryable=retryable,
        data=data or {},
    )
    return CompleteAction(command_id="x", now=T0, request_id=request.request_id, error=error)


def event_for(wait: RegisterWait, payload: Any = None, event_id: str = "ev-1") -> ResumeWait:
    event = EventData(
        event_id=event_id,
        event_name=wait.event_name or "",
        correlation_key=wait.correlation_key or "",
        payload=payload,
        received_at=T0,
    )
    return ResumeWait(command_id="x", now=T0, wait_id=wait.wait_id, event=event)


def fire(wait: RegisterWait) -> FireTimer:
    assert wait.due_at is not None
    return FireTimer(command_id="x", now=wait.due_at, wait_id=wait.wait_id)


def task_done(wait: RegisterWait, output: Any) -> CompleteHumanTask:
    return CompleteHumanTask(command_id="x", now=T0, task_id=wait.wait_id, output=output)


def child_done(
    effect: StartChildRun, status: str = "SUCCEEDED", envelope: dict[str, Any] | None = None
) -> ChildRunFinished:
    return ChildRunFinished(
        command_id="x",
        now=T0,
        child_run_id=effect.child_run_id,
        status=status,  # type: ignore[arg-type]
        envelope=envelope,
        error=None if status == "SUCCEEDED" else {"name": "X", "message": "child failed"},
    )


def scripted(
    actions: dict[str, Callable[[RequestAction], Reply]] | None = None,
    *,
    events: Callable[[RegisterWait], Reply] | None = None,
    tasks: Callable[[RegisterWait], Reply] | None = None,
    children: Callable[[StartChildRun], Reply] | None = None,
) -> Responder:
    """A responder from per-kind answers; retry and delay timers fire at their due time."""
    actions = actions or {}

    def respond(effect: Effect, state: RunState) -> Reply:
        if isinstance(effect, RequestAction):
            answer = actions.get(effect.action_id)
            return answer(effect) if answer else complete(effect, {})
        if isinstance(effect, RegisterWait):
            if effect.kind in (WaitKind.RETRY, WaitKind.TIMER):
                return fire(effect)
            if effect.kind is WaitKind.EVENT:
                return events(effect) if events else None
            if effect.kind is WaitKind.HUMAN_TASK:
                return tasks(effect) if tasks else None
        if isinstance(effect, StartChildRun):
            return children(effect) if children else None
        return None

    return respond


def definition(*steps: dict[str, Any], **fields: Any) -> Definition:
    return Definition.parse({"name": "test", "steps": list(steps), **fields})


def run(
    steps: list[dict[str, Any]],
    registry: Registry,
    responder: Responder | None = None,
    payload: dict[str, Any] | None = None,
    **start: Any,
) -> Driver:
    """Run a pipeline to its end or first unanswered wait; the driver keeps the history."""
    driver = Driver(definition(*steps), registry, responder or scripted(), roundtrip=True)
    driver.run(start_command(payload, **start))
    return driver


def attempts(driver: Driver) -> list[tuple[str, int, str]]:
    """(node path, attempt, status) of every RecordStepAttempt, in order."""
    from workflow_core.interpreter import RecordStepAttempt

    return [(e.node_path, e.attempt, e.status.value) for e in driver.effects_of(RecordStepAttempt)]


def expr(source: str) -> dict[str, str]:
    return {"$expr": source}
