"""Runs on the wire: the run resource, starts, summaries and history rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from sluice_api.schemas.common import INT_MAX, OperatorRequest, WireModel


class RunStatusName(StrEnum):
    QUEUED = "QUEUED"  # behind the workflow's concurrency limit
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class RunTrigger(StrEnum):
    """How a run was started."""

    API = "api"  # POST /workflow-runs, replay
    EVENT = "event"  # an event matching the definition's trigger
    CHILD = "child"  # control.callWorkflow in another run


class RunSort(StrEnum):
    NEWEST = "-startedAt"
    OLDEST = "startedAt"


class SummaryBucketSize(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"


class RunCreate(WireModel):
    workflow_id: uuid.UUID
    version: int | None = Field(  # strict: true is not version 1
        default=None, ge=1, le=INT_MAX, strict=True, description="default: latest published"
    )
    payload: dict[str, Any] = Field(default_factory=dict)


class RunPublic(WireModel):
    """SPEC 13 "run"."""

    run_id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_version: int
    status: str
    node_path: str
    state: str | None = None
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    error: dict[str, Any] | None = None
    parent_run_id: uuid.UUID | None = None
    trigger: RunTrigger
    event_name: str | None = Field(default=None, description="the trigger event's name")
    correlation_key: str | None = None
    trigger_event_id: uuid.UUID | None = None


class SummaryBucketPublic(WireModel):
    start: datetime
    counts: dict[str, int]


class RunSummaryPublic(WireModel):
    bucket: SummaryBucketSize
    totals: dict[str, int]
    buckets: list[SummaryBucketPublic]


class WorkflowCountsPublic(WireModel):
    workflow_id: uuid.UUID
    name: str = Field(description="the definition's name ('' if it was deleted)")
    counts: dict[str, int] = Field(description="runs per status")


class WorkflowSummaryPublic(WireModel):
    items: list[WorkflowCountsPublic]


class StepAttemptPublic(WireModel):
    step_id: str
    node_path: str
    attempt: int
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: int | None = None
    error: Any = None


class TimelineEntry(WireModel):
    """A runtime event (step started, wait registered, run finished, ...)."""

    at: datetime
    type: str
    step_id: str | None = None
    node_path: str | None = None
    data: Any = None


class SnapshotPublic(WireModel):
    """SPEC 13 "snapshot" (redacted, capped)."""

    node_path: str
    step_id: str | None = None
    at: datetime
    envelope: Any


class InvocationPublic(WireModel):
    invocation_id: uuid.UUID
    action_id: str
    action_version: int
    idempotency_key: str
    step_id: str | None = None
    status: str
    attempt: int
    input: Any = None
    output: Any = None
    error: Any = None
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: int | None = None


class Execution(StrEnum):
    """What the run's request for an idempotency key led to."""

    EXECUTED = "EXECUTED"  # the handler ran once, for this run
    EXECUTED_AGAIN = "EXECUTED_AGAIN"  # it ran more than once under the key (a retry)
    REUSED = "REUSED"  # answered from the result another run's call stored


class SideEffectPublic(WireModel):
    """One side-effectful call of the run (an idempotency key it asked for)."""

    invocation_id: uuid.UUID
    action_id: str
    action_version: int
    idempotency_key: str
    step_id: str | None = None
    status: str = Field(description="the invocation's outcome: STARTED, SUCCEEDED or FAILED")
    attempt: int = Field(description="how many times the handler ran under this key")
    execution: Execution
    reused: bool = Field(description="this run was also answered from the stored result")
    executed_by_run_id: uuid.UUID | None = Field(
        default=None, description="the run whose request first ran it"
    )
    input: Any = Field(default=None, description="redacted; null when another run's call")
    output: Any = None
    error: Any = None
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: int | None = None


class WaitPublic(WireModel):
    wait_id: uuid.UUID
    kind: str
    step_id: str | None = None
    node_path: str | None = None
    event_name: str | None = None
    correlation_key: str | None = None
    due_at: datetime | None = None
    status: str
    resolved_by: str | None = None
    created_at: datetime
    resolved_at: datetime | None = None


class LogPublic(WireModel):
    at: datetime
    level: str
    message: str
    step_id: str | None = None
    node_path: str | None = None
    data: Any = None


class CancelRequest(OperatorRequest):
    pass


class ResumeRequest(OperatorRequest):
    payload: Any = Field(default=None, description="event payload or task output to resume with")


class RetryEdits(WireModel):
    """A retry's edits that apply to any run (so also to many at once)."""

    payload_patch: dict[str, Any] | None = Field(
        default=None, description="JSON Merge Patch (RFC 7396) of the payload the step resumes "
        "with: members replace, null deletes, objects merge",
    )  # fmt: skip
    vars_patch: dict[str, Any] | None = Field(
        default=None, description="JSON Merge Patch (RFC 7396) of the vars"
    )
    from_step_path: str | None = Field(
        default=None, max_length=2000, description="the step to retry from (default: the "
        "failed step): the failed step, or an earlier step of a pipeline enclosing it",
    )  # fmt: skip


class RetryRequest(OperatorRequest, RetryEdits):
    payload: dict[str, Any] | None = Field(default=None, description="edited payload, if any")
    vars: dict[str, Any] | None = Field(default=None, description="edited vars, if any")


class ReplayEdits(WireModel):
    version: int | None = Field(  # strict: true is not version 1
        default=None, ge=1, le=INT_MAX, strict=True, description="default: the run's version"
    )
    payload_patch: dict[str, Any] | None = Field(
        default=None, description="JSON Merge Patch (RFC 7396) of the replayed payload"
    )


class ReplayRequest(OperatorRequest, ReplayEdits):
    payload: dict[str, Any] | None = Field(default=None, description="default: the run's payload")
