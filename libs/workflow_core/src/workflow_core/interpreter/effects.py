"""Effects: what ``advance`` asks the shell to persist and publish (data, never calls).

Services write every effect of one transition in one transaction (history rows,
snapshot, wait rows, outbox messages), in list order. Ids inside effects are
deterministic, so writing them with ``ON CONFLICT DO NOTHING`` makes a
redelivered command harmless.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, JsonValue, TypeAdapter

from workflow_core.interpreter.failures import StepError
from workflow_core.interpreter.wire import FrozenModel


class AttemptStatus(StrEnum):
    STARTED = "STARTED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    CANCELED = "CANCELED"


class WaitKind(StrEnum):
    EVENT = "event"
    HUMAN_TASK = "human_task"
    CHILD_RUN = "child_run"
    RETRY = "retry"
    TIMER = "timer"


class WaitOutcome(StrEnum):
    RESOLVED = "RESOLVED"  # event arrived, task completed, child finished
    FIRED = "FIRED"  # a retry or delay timer woke the run
    TIMED_OUT = "TIMED_OUT"
    CANCELED = "CANCELED"


class FinalStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class RecordStepAttempt(FrozenModel):
    """One history row per attempt transition; names the step, never copies its config."""

    type: Literal["RecordStepAttempt"] = "RecordStepAttempt"
    step_id: str
    node_path: str
    attempt: int
    status: AttemptStatus
    loop_indexes: list[int] = Field(default_factory=list)
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    duration_ms: int | None = None
    error: StepError | None = None


class WriteSnapshot(FrozenModel):
    """The operator-visible envelope after a step: already redacted and capped."""

    type: Literal["WriteSnapshot"] = "WriteSnapshot"
    node_path: str
    step_id: str | None
    at: AwareDatetime
    envelope: JsonValue


class HumanTaskSpec(FrozenModel):
    """The task row a ``human.task`` wait creates (task id = wait id)."""

    task_type: str
    title: str
    description: str | None = None
    form_schema: dict[str, JsonValue]
    assignee: str | None = None


class RegisterWait(FrozenModel):
    """Open a wait; the shell owns the timer (``due_at``) and the event matching."""

    type: Literal["RegisterWait"] = "RegisterWait"
    wait_id: str
    kind: WaitKind
    step_id: str
    node_path: str
    due_at: AwareDatetime | None = None
    event_name: str | None = None
    correlation_key: str | None = None
    accept_earlier_ms: int | None = None
    task: HumanTaskSpec | None = None
    child_run_id: str | None = None


class ReleaseWait(FrozenModel):
    """Close a wait (idempotent for the shell: ``... WHERE status = 'OPEN'``)."""

    type: Literal["ReleaseWait"] = "ReleaseWait"
    wait_id: str
    kind: WaitKind
    outcome: WaitOutcome


class RequestAction(FrozenModel):
    """Ask the action executor to run an action; answered by ``CompleteAction``."""

    type: Literal["RequestAction"] = "RequestAction"
    request_id: str
    action_id: str
    version: int
    args: dict[str, JsonValue]
    idempotency_key: str
    side_effectful: bool
    attempt: int
    step_id: str
    node_path: str


class StartChildRun(FrozenModel):
    """Start a child run; ``workflow_version`` None means "latest published" (recorded)."""

    type: Literal["StartChildRun"] = "StartChildRun"
    child_run_id: str
    workflow_id: str
    workflow_version: int | None
    payload: dict[str, JsonValue]
    call_depth: int
    parent_run_id: str
    parent_step_id: str
    wait_id: str
    trace_id: str | None = None


class CancelChildRun(FrozenModel):
    type: Literal["CancelChildRun"] = "CancelChildRun"
    child_run_id: str
    reason: str


class FinishRun(FrozenModel):
    type: Literal["FinishRun"] = "FinishRun"
    status: FinalStatus
    at: AwareDatetime
    error: StepError | None = None


LogLevel = Literal["debug", "info", "warning", "error"]


class AppendLog(FrozenModel):
    type: Literal["AppendLog"] = "AppendLog"
    level: LogLevel
    message: str
    node_path: str | None = None
    data: dict[str, JsonValue] = Field(default_factory=dict)


Effect = Annotated[
    RecordStepAttempt
    | WriteSnapshot
    | RegisterWait
    | ReleaseWait
    | RequestAction
    | StartChildRun
    | CancelChildRun
    | FinishRun
    | AppendLog,
    Field(discriminator="type"),
]

EFFECT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Effect)
EFFECTS_ADAPTER: TypeAdapter[list[Effect]] = TypeAdapter(list[Effect])
