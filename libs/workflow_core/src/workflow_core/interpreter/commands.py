"""Commands: what the shell asks ``advance`` to do. Each carries its id and ``now``.

``now`` is fixed when the command is created (in its outbox row) and is the only
time the core ever sees, so replaying the same commands reproduces the run.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, JsonValue, TypeAdapter

from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.state import RunStatus
from workflow_core.interpreter.wire import FrozenModel


class CommandBase(FrozenModel):
    command_id: str = Field(min_length=1)
    now: AwareDatetime


class Admission(StrEnum):
    """What a start becomes under a concurrency limit (``workflow_core.concurrency``):
    begun now, queued (QUEUED until ``BeginRun``), or ended at once by ``onLimit``."""

    START = "START"
    QUEUE = "QUEUE"
    CANCEL = "CANCEL"
    FAIL = "FAIL"


class StartRun(CommandBase):
    """Create the run. The shell validated ``payload`` first (``payload_violations``) and
    decided its ``admission`` under the workflow's concurrency limit (``reason`` says why
    it did not begin)."""

    type: Literal["StartRun"] = "StartRun"
    run_id: str = Field(min_length=1)
    tenant_id: str = Field(min_length=1)
    workflow_id: str = Field(min_length=1)
    workflow_version: int = Field(ge=1)
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    seed: int = 0
    trace_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    parent_run_id: str | None = None
    parent_step_id: str | None = None
    call_depth: int = Field(default=0, ge=0)
    admission: Admission = Admission.START
    reason: str = ""


class BeginRun(CommandBase):
    """A slot of the workflow's concurrency limit freed: a QUEUED run begins (the shell
    checked the slot under its lock); any other run ignores it."""

    type: Literal["BeginRun"] = "BeginRun"


class ActionFailure(FrozenModel):
    """How an action invocation failed, as the executor classified it."""

    category: ErrorCategory
    name: str
    message: str
    retryable: bool = False
    data: dict[str, JsonValue] = Field(default_factory=dict)


class CompleteAction(CommandBase):
    """The result of a ``RequestAction``: ``error`` set means it failed."""

    type: Literal["CompleteAction"] = "CompleteAction"
    request_id: str
    output: JsonValue = None
    error: ActionFailure | None = None


class EventData(FrozenModel):
    """``event`` in an event wait's ``assign`` context (SPEC section 5)."""

    event_id: str
    event_name: str
    correlation_key: str
    payload: JsonValue = None
    received_at: AwareDatetime


class ResumeWait(CommandBase):
    """An event resolved an open event wait."""

    type: Literal["ResumeWait"] = "ResumeWait"
    wait_id: str
    event: EventData


class FireTimer(CommandBase):
    """A wait's ``due_at`` passed: a retry wakes up, an event or task wait times out."""

    type: Literal["FireTimer"] = "FireTimer"
    wait_id: str


class CompleteHumanTask(CommandBase):
    type: Literal["CompleteHumanTask"] = "CompleteHumanTask"
    task_id: str
    output: JsonValue = None
    completed_by: str | None = None


class ChildRunFinished(CommandBase):
    """A child run ended; ``envelope`` is its final (unredacted) envelope."""

    type: Literal["ChildRunFinished"] = "ChildRunFinished"
    child_run_id: str
    status: RunStatus
    envelope: dict[str, JsonValue] | None = None
    error: dict[str, JsonValue] | None = None


class CancelRun(CommandBase):
    type: Literal["CancelRun"] = "CancelRun"
    reason: str = ""


class RetryRun(CommandBase):
    """Operator retry: restart a FAILED run at its failed step (same version and keys).

    ``payload`` / ``vars``, when given, replace the envelope's before the step
    runs again; then ``payload_patch`` / ``vars_patch`` (JSON Merge Patch, RFC
    7396) edit them in place. The failed step's next attempt number continues
    its history.
    """

    type: Literal["RetryRun"] = "RetryRun"
    reason: str = ""
    payload: dict[str, JsonValue] | None = None
    vars: dict[str, JsonValue] | None = None
    payload_patch: dict[str, JsonValue] | None = None
    vars_patch: dict[str, JsonValue] | None = None
    # Restart here instead of at the failed step: the failed step's path, or an
    # earlier step of a pipeline enclosing it (outside parallel items).
    from_step_path: str | None = None


class Continue(CommandBase):
    """Re-drive a run (scheduler); a no-op when there is nothing to do."""

    type: Literal["Continue"] = "Continue"


Command = Annotated[
    StartRun
    | BeginRun
    | CompleteAction
    | ResumeWait
    | FireTimer
    | CompleteHumanTask
    | ChildRunFinished
    | CancelRun
    | RetryRun
    | Continue,
    Field(discriminator="type"),
]

COMMAND_ADAPTER: TypeAdapter[Any] = TypeAdapter(Command)
