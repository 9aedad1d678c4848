"""RunState: everything the core needs between two commands, JSON only.

The cursor is a stack of frames, one per pipeline being run: the root pipeline,
then one per entered branch (``then``/``else``/``body``/``try``/``catch``).
A frame's ``index`` is the next step of its pipeline. A ``body`` frame also
holds the loop's items (frozen when the loop started), the current item index
and the loop variables' previous values, so a crash in item 7 of 20 resumes
at item 7 and the variables are restored after the loop.

A parallel loop (``concurrency`` > 1) is one frame whose ``branch`` is
``lanes`` (the *coordinator*): it holds the frozen items, the next item to
start, the items in flight as ``Lane``s and what each finished item left
(``ItemResult``). A lane is a whole cursor of its own (its frames, starting with
its item's ``body`` frame, its envelope, active step, waits and pending
action); ``lanes.py`` swaps one in to run it and back out when it parks.
See ``blocks/for_each.py`` for the semantics.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field, JsonValue

from workflow_core.interpreter.effects import RequestAction, WaitKind
from workflow_core.interpreter.wire import CoreModel


class RunStatus(StrEnum):
    QUEUED = "QUEUED"  # waiting for a slot of the workflow's concurrency limit
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
    # Items whose failure a loop tolerated so far (toleratedFailureCount/Percentage).
    failed_items: int = 0
    # A parallel loop's coordinator (branch ``lanes``): ``item_index`` is the next
    # item to start, ``lanes`` the items in flight (item order), ``results`` what
    # the finished ones left, merged in item order when the loop closes.
    lanes: list[Lane] | None = None
    results: list[ItemResult] | None = None


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


class SectionWrites(CoreModel):
    """Top-level keys an item set (``assigned``) or deleted (``removed``) in one section."""

    assigned: dict[str, JsonValue] = Field(default_factory=dict)
    removed: list[str] = Field(default_factory=list)


class ItemResult(CoreModel):
    """What one finished item of a parallel loop leaves: its writes and, if it
    failed (tolerated), its error in envelope form."""

    index: int
    writes: dict[str, SectionWrites] = Field(default_factory=dict)
    error: dict[str, JsonValue] | None = None


class Lane(CoreModel):
    """One in-flight item of a parallel loop: a cursor of its own."""

    item_index: int
    frames: list[Frame]
    envelope: dict[str, JsonValue]
    active: ActiveStep | None = None
    waits: list[OpenWait] = Field(default_factory=list)
    pending_action: RequestAction | None = None


class FailurePoint(CoreModel):
    """Where an error started bubbling: the cursor before unwinding, for RetryRun."""

    frames: list[Frame]
    attempt: int = 1
    # When the error started inside parallel items: the envelope of each entered
    # lane (outermost first) and the envelope outside them, for RetryRun.
    lane_envelopes: list[dict[str, JsonValue]] = Field(default_factory=list)
    outer_envelope: dict[str, JsonValue] | None = None


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

    def open_waits(self) -> list[OpenWait]:
        """Every open wait: the cursor's and those of its parallel items in flight."""
        found, frames = list(self.waits), self.frames
        pending = [frames]
        while pending:
            top = pending.pop()
            for lane in (top[-1].lanes or []) if top else []:
                found.extend(lane.waits)
                pending.append(lane.frames)
        return found

    def loop_indexes(self) -> list[int]:
        """The full vector of enclosing loop indexes (outermost first)."""
        return [f.item_index for f in self.frames if f.branch == "body"]


LANES = "lanes"  # the branch name of a parallel loop's coordinator frame

for _model in (Frame, Lane, FailurePoint, RunState):
    _model.model_rebuild()
