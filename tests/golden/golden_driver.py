"""An in-memory shell for the interpreter: feeds commands, answers effects.

Tests, golden histories, property tests and the benchmark drive runs with it.
A responder decides how the outside world answers each effect that expects an
answer (an action request, a wait, a child run); the driver owns time (one
second per command, timers fire at their due time) and command ids.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from workflow_core.definitions import Definition
from workflow_core.interpreter import (
    ActionFailure,
    ChildRunFinished,
    Command,
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
    Transition,
    WaitKind,
    advance,
)
from workflow_core.registry import Registry

T0 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
Effect = Any
Reply = Command | list[Command] | None
Responder = Callable[[Effect, RunState], Reply]


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


@dataclass
class Step:
    command: Command
    transition: Transition


@dataclass
class Driver:
    definition: Definition
    registry: Registry
    responder: Responder
    roundtrip: bool = False  # serialize the state to JSON and back between commands
    history: list[Step] = field(default_factory=list)
    state: RunState | None = None
    clock: datetime = T0

    def run(self, start: StartRun, *, max_commands: int = 500) -> RunState:
        queue: deque[Command] = deque([start])
        while queue and len(self.history) < max_commands:
            transition = self.send(queue.popleft())
            for effect in transition.effects:
                reply = self.responder(effect, transition.state)
                queue.extend(reply if isinstance(reply, list) else [reply] if reply else [])
        assert self.state is not None
        return self.state

    def run_more(self, *, max_commands: int = 500) -> RunState:
        """Answer the effects of the last transition, and so on, like ``run``."""
        last = self.history[-1].transition
        queue: deque[Command] = deque()
        for effect in last.effects:
            reply = self.responder(effect, last.state)
            queue.extend(reply if isinstance(reply, list) else [reply] if reply else [])
        while queue and len(self.history) < max_commands:
            transition = self.send(queue.popleft())
            for effect in transition.effects:
                reply = self.responder(effect, transition.state)
                queue.extend(reply if isinstance(reply, list) else [reply] if reply else [])
        assert self.state is not None
        return self.state

    def send(self, command: Command) -> Transition:
        command = self._stamp(command)
        transition = advance(self.definition, self.state, command, registry=self.registry)
        self.history.append(Step(command, transition))
        state = transition.state
        if self.roundtrip:
            state = RunState.model_validate(json.loads(json.dumps(state.model_dump(mode="json"))))
        self.state = state
        return transition

    def _stamp(self, command: Command) -> Command:
        if isinstance(command, StartRun) and not self.history:
            self.clock = command.now
            return command
        self.clock += timedelta(seconds=1)
        if isinstance(command, FireTimer) and command.now > self.clock:
            self.clock = command.now
        return command.model_copy(update={"command_id": f"c{len(self.history)}", "now": self.clock})

    def effects(self) -> list[dict[str, Any]]:
        return [e.model_dump(mode="json") for s in self.history for e in s.transition.effects]

    def effects_of(self, kind: type[Any]) -> list[Any]:
        return [e for s in self.history for e in s.transition.effects if isinstance(e, kind)]

    def record(self) -> list[dict[str, Any]]:
        """The history as JSON: each command in, the effects out."""
        return [
            {
                "command": s.command.model_dump(mode="json"),
                "effects": [e.model_dump(mode="json") for e in s.transition.effects],
                "rejected": s.transition.rejected,
            }
            for s in self.history
        ]


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
