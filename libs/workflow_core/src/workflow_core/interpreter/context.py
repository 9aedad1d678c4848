"""The working context of one ``advance`` call: a private copy of the state,
the effects emitted so far, the command's ``now`` and the step budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import JsonValue

from workflow_core.definitions import ROOT, child_path
from workflow_core.interpreter.effects import AppendLog, Effect, LogLevel
from workflow_core.interpreter.envelope import (
    Envelope,
    expression_context,
    mark_sensitive_payload,
)
from workflow_core.interpreter.ids import sequenced_id
from workflow_core.interpreter.program import Program
from workflow_core.interpreter.state import Frame, Lane, RunState, RunStatus


@dataclass(frozen=True)
class RunLimits:
    """Guards against pathological definitions.

    10,000 synchronous steps per command is far beyond any sane pipeline yet
    bounds one ``advance`` to well under a second of work.
    """

    max_steps_per_command: int = 10_000
    max_call_depth: int = 10


DEFAULT_LIMITS = RunLimits()


@dataclass
class Entered:
    """A parallel loop's item swapped in (``lanes.enter``): where its loop's
    coordinator frame is, the lane, and the cursor outside it."""

    depth: int
    lane: Lane
    outer_envelope: Envelope
    outer_status: RunStatus


@dataclass
class Ctx:
    program: Program
    state: RunState
    now: datetime
    limits: RunLimits
    effects: list[Effect] = field(default_factory=list)
    steps_started: int = 0
    # The lanes swapped in, outermost first; empty between commands.
    entered: list[Entered] = field(default_factory=list)

    @property
    def env(self) -> Envelope:
        return self.state.envelope

    @env.setter
    def env(self, envelope: Envelope) -> None:
        if envelope.get("payload") is not self.state.envelope.get("payload"):
            mark_sensitive_payload(envelope, self.program.payload_schema)
        self.state.envelope = envelope

    @property
    def frame(self) -> Frame:
        return self.state.frames[-1]

    def cursor_path(self) -> str:
        """Node path of the step under the top frame's cursor."""
        frame = self.frame
        return child_path(frame.block_path, frame.branch, frame.index)

    def context(self, **extra: Any) -> dict[str, Any]:
        return expression_context(self.env, **extra)

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    def next_id(self, kind: str) -> str:
        self.state.seq += 1
        return sequenced_id(self.state.run_id, kind, self.state.seq)

    def log(self, level: LogLevel, message: str, **data: JsonValue) -> None:
        node_path = self.state.node_path
        self.emit(AppendLog(level=level, message=message, node_path=node_path, data=data))


def is_root(frame: Frame) -> bool:
    return frame.block_path == ROOT
