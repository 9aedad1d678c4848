"""RunState: everything the core needs between two commands, JSON only.

The cursor is a stack of frames, one per pipeline being run: the root pipeline,
then one per entered branch (``then``/``else``/``body``/``try``/``catch``).
A frame's ``index`` is the next step of its pipeline. A ``body`` frame also
holds the loop's items (frozen when the loop started), the current item index
and the loop variables' previous values, so a crash in item 7 of 20 resumes
at item 7 and the variables are restored after the loop.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field, JsonValue

from workflow_core.interpreter.effects import RequestAction, WaitKind
from workflow_core.interpreter.wire import CoreModel


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"

    @property
    def final(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED)


class Frame(CoreModel):
    """One pipeline in progress. ``block_path`` is ``root`` for the top level."""

    block_path: str
    branch: str = ""
    index: int = 0
    step_id: str | None = None
    started_at: AwareDatetime | None = None
    items: list[JsonValue] | None = None
    item_index: int = 0
    # Loop variables' values before the loop; a missing key means "was absent".
    saved_vars: dict[str, JsonValue] | None = None


class ActiveStep(CoreModel):
    """The node step whose attempt is in flight (or parked on a retry timer)."""

    step_id: str
    node_path: str
    attempt: int
    started_at: AwareDatetime
    loop_indexes: list[int] = Field(default_factory=list)


class OpenWait(CoreModel):
    wait_id: str
    kind: WaitKind
    step_id: str
    node_path: str
    due_at: AwareDatetime | None = None
    child_run_id: str | None = None


class FailurePoint(CoreModel):
    """Where an error started bubbling: the cursor before unwinding, for RetryRun."""

    frames: list[Frame]
    attempt: int = 1


class RunState(CoreModel):
    v: Literal[1] = 1
    run_id: str
    tenant_id: str
    workflow_id: str
    workflow_version: int
    status: RunStatus
    envelope: dict[str, JsonValue]
    frames: list[Frame] = Field(default_factory=list)
    active: ActiveStep | None = None
    waits: list[OpenWait] = Field(default_factory=list)
    # Kept for re-drive (Continue re-sends it) and to recognise its result.
    pending_action: RequestAction | None = None
    # A request abandoned by cancel: its late result is logged, not acted on.
    abandoned_request_id: str | None = None
    seed: int = 0
    seq: int = 0
    call_depth: int = 0
    parent_run_id: str | None = None
    parent_step_id: str | None = None
    node_path: str | None = None
    steps_run: int = 0
    failure: FailurePoint | None = None

    def wait(self, wait_id: str) -> OpenWait | None:
        return next((w for w in self.waits if w.wait_id == wait_id), None)

    def loop_indexes(self) -> list[int]:
        """The full vector of enclosing loop indexes (outermost first)."""
        return [f.item_index for f in self.frames if f.branch == "body"]
