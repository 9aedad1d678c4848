"""The in-memory run loop: ``advance`` driven by a responder, in virtual time.

A ``Simulation`` is a shell without I/O. It feeds commands to ``advance``,
hands every effect of each transition to a *responder* (how the outside world
answers: an action result, an event, a task completion, a child's end, a
timer), and queues the answers. Time is virtual: the clock starts at the
``StartRun``'s ``now``, moves by ``tick`` per command, and jumps forward to a
command's own ``now`` when that is later (a timer fires at its due time, a
recorded answer arrives when it arrived). Nothing sleeps.

Used by the golden histories, the property tests and the benchmark (through
``tests/golden/golden_driver.py``) and by shadow runs (``simulation.shadow``).
A responder that returns ``None`` leaves the effect unanswered: the run parks
there, and the caller may answer later with ``feed``.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workflow_core.definitions import Definition
from workflow_core.interpreter import (
    DEFAULT_LIMITS,
    Command,
    RunLimits,
    RunState,
    StartRun,
    Transition,
    advance,
)
from workflow_core.registry import Registry

Reply = Command | list[Command] | None
Responder = Callable[[Any, RunState], Reply]
DEFAULT_MAX_COMMANDS = 500


@dataclass
class Step:
    """One command in and the transition it caused."""

    command: Command
    transition: Transition


@dataclass
class Simulation:
    definition: Definition
    registry: Registry
    responder: Responder
    roundtrip: bool = False  # serialize the state to JSON and back between commands
    tick: timedelta = timedelta(seconds=1)
    limits: RunLimits = DEFAULT_LIMITS
    history: list[Step] = field(default_factory=list)
    state: RunState | None = None
    clock: datetime | None = None
    exhausted: bool = False  # the last run/feed stopped at max_commands

    def run(self, start: StartRun, *, max_commands: int = DEFAULT_MAX_COMMANDS) -> RunState:
        """Start the run and answer its effects until nothing is left to answer."""
        self._drain(deque([start]), max_commands)
        assert self.state is not None
        return self.state

    def run_more(self, *, max_commands: int = DEFAULT_MAX_COMMANDS) -> RunState:
        """Answer the effects of the last transition again, and so on, like ``run``."""
        last = self.history[-1].transition
        self._drain(deque(self._answers(last)), max_commands)
        assert self.state is not None
        return self.state

    def feed(
        self, commands: Iterable[Command], *, max_commands: int = DEFAULT_MAX_COMMANDS
    ) -> RunState:
        """Apply answers the responder left open, then go on as ``run`` does."""
        self._drain(deque(commands), max_commands)
        assert self.state is not None
        return self.state

    def _drain(self, queue: deque[Command], max_commands: int) -> None:
        self.exhausted = False
        while queue:
            if len(self.history) >= max_commands:
                self.exhausted = True
                return
            transition = self.send(queue.popleft())
            queue.extend(self._answers(transition))

    def _answers(self, transition: Transition) -> list[Command]:
        answers: list[Command] = []
        for effect in transition.effects:
            reply = self.responder(effect, transition.state)
            answers.extend(reply if isinstance(reply, list) else [reply] if reply else [])
        return answers

    def send(self, command: Command) -> Transition:
        command = self._stamp(command)
        transition = advance(
            self.definition, self.state, command, registry=self.registry, limits=self.limits
        )
        self.history.append(Step(command, transition))
        state = transition.state
        if self.roundtrip:
            state = RunState.model_validate(json.loads(json.dumps(state.model_dump(mode="json"))))
        self.state = state
        return transition

    def _stamp(self, command: Command) -> Command:
        """The command with the next id and the virtual time."""
        if isinstance(command, StartRun) and not self.history:
            self.clock = command.now
            return command
        clock = (self.clock or command.now) + self.tick
        self.clock = max(clock, command.now)
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
