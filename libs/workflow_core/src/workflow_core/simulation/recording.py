"""What a past run recorded, as the shadow driver reads it (pure data, loaded by the shell).

The shell (``sluice_engine.shadow``) builds a ``RunRecording`` from the run's
row, its ``action_invocations``, ``run_waits`` (with the events and human tasks
that resolved them) and its child runs. Nothing here is redacted: masking is
the caller's job when it shows a result.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, JsonValue

from workflow_core.interpreter import ActionFailure, EventData, RunStatus, WaitKind
from workflow_core.interpreter.wire import FrozenModel

InvocationStatus = Literal["STARTED", "SUCCEEDED", "FAILED"]
WaitStatus = Literal["OPEN", "RESOLVED", "FIRED", "CANCELED"]


class RecordedInvocation(FrozenModel):
    """One ``action_invocations`` row: the final outcome under its idempotency key."""

    action_id: str
    version: int
    step_id: str | None
    idempotency_key: str
    status: InvocationStatus
    input: JsonValue = None
    output: JsonValue = None
    error: ActionFailure | None = None
    finished_at: AwareDatetime | None = None


class RecordedWait(FrozenModel):
    """One ``run_waits`` row of kind event or human_task, with what closed it."""

    kind: WaitKind
    step_id: str | None
    status: WaitStatus
    event_name: str | None = None
    correlation_key: str | None = None
    resolved_at: AwareDatetime | None = None
    event: EventData | None = None  # the event that resolved it
    task_output: JsonValue = None  # the completed task's output
    task_completed: bool = False
    completed_by: str | None = None


class RecordedChild(FrozenModel):
    """A child run the past run started: how it ended and its final envelope."""

    child_run_id: str
    workflow_id: str
    step_id: str | None
    status: RunStatus
    envelope: dict[str, JsonValue] | None = None
    error: dict[str, JsonValue] | None = None
    completed_at: AwareDatetime | None = None


class RunRecording(FrozenModel):
    """A past run: how it started, how it ended, and every answer the world gave it."""

    run_id: str
    tenant_id: str
    workflow_id: str
    workflow_version: int
    started_at: AwareDatetime
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    seed: int = 0
    trace_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    call_depth: int = 0
    parent_run_id: str | None = None
    parent_step_id: str | None = None
    status: RunStatus
    envelope: dict[str, JsonValue] = Field(default_factory=dict)
    error: dict[str, JsonValue] | None = None
    invocations: list[RecordedInvocation] = Field(default_factory=list)
    waits: list[RecordedWait] = Field(default_factory=list)
    children: list[RecordedChild] = Field(default_factory=list)
