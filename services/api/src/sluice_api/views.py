"""Storage records -> wire models (one function per resource, redaction applied)."""

from __future__ import annotations

from typing import Any

from sluice_storage import RunRecord, WaitRecord
from sluice_storage.history import (
    InvocationRecord,
    LogRecord,
    RuntimeEventRecord,
    SideEffectRecord,
    SnapshotRecord,
    StepAttemptRecord,
)

from sluice_api.redaction import RunRedactor
from sluice_api.schemas.runs import (
    Execution,
    InvocationPublic,
    LogPublic,
    RunPublic,
    RunTrigger,
    SideEffectPublic,
    SnapshotPublic,
    StepAttemptPublic,
    TimelineEntry,
    WaitPublic,
)


def run_public(run: RunRecord) -> RunPublic:
    return RunPublic(
        run_id=run.run_id, workflow_id=run.workflow_id, workflow_version=run.workflow_version,
        status=run.status, node_path=run.node_path, state=run.state, started_at=run.started_at,
        updated_at=run.updated_at, completed_at=run.completed_at,
        error=RunRedactor(run.run_state)(run.error), parent_run_id=run.parent_run_id,
        trigger=run_trigger(run), event_name=run.event_name,
        correlation_key=run.correlation_key, trigger_event_id=run.trigger_event_id,
    )  # fmt: skip


def run_trigger(run: RunRecord) -> RunTrigger:
    """Python's reading of ``sluice_storage.runs.TRIGGER_SQL`` (the list's filter)."""
    if run.parent_run_id is not None:
        return RunTrigger.CHILD
    return RunTrigger.EVENT if run.trigger_event_id is not None else RunTrigger.API


def step_public(step: StepAttemptRecord, redact: RunRedactor) -> StepAttemptPublic:
    return StepAttemptPublic(
        step_id=step.step_id, node_path=step.node_path, attempt=step.attempt,
        status=step.status, started_at=step.started_at, finished_at=step.finished_at,
        duration_ms=step.duration_ms, error=redact(step.error),
    )  # fmt: skip


def timeline_public(event: RuntimeEventRecord, redact: RunRedactor) -> TimelineEntry:
    return TimelineEntry(
        at=event.at, type=event.type, step_id=event.step_id, node_path=event.node_path,
        data=redact(event.data),
    )  # fmt: skip


def snapshot_public(snapshot: SnapshotRecord, redact: RunRedactor) -> SnapshotPublic:
    # Stored redacted by the engine; redacting again is idempotent and guards
    # against a writer that forgot.
    return SnapshotPublic(
        node_path=snapshot.node_path, step_id=snapshot.step_id, at=snapshot.at,
        envelope=redact(snapshot.envelope),
    )  # fmt: skip


def invocation_public(inv: InvocationRecord, redact: RunRedactor) -> InvocationPublic:
    return InvocationPublic(
        invocation_id=inv.invocation_id, action_id=inv.action_id,
        action_version=inv.action_version, idempotency_key=inv.idempotency_key,
        step_id=inv.step_id, status=inv.status, attempt=inv.attempt, input=redact(inv.input),
        output=redact(inv.output), error=redact(inv.error), started_at=inv.started_at,
        finished_at=inv.finished_at, duration_ms=inv.duration_ms,
    )  # fmt: skip


def side_effect_public(entry: SideEffectRecord, redact: RunRedactor) -> SideEffectPublic:
    inv = entry.invocation
    own = entry.execution != Execution.REUSED  # another run's input is not this run's to show
    return SideEffectPublic(
        invocation_id=inv.invocation_id, action_id=inv.action_id,
        action_version=inv.action_version, idempotency_key=inv.idempotency_key,
        step_id=inv.step_id, status=inv.status, attempt=inv.attempt,
        execution=Execution(entry.execution), reused=entry.reused,
        executed_by_run_id=entry.executed_by_run_id, input=redact(inv.input) if own else None,
        output=redact(inv.output), error=redact(inv.error), started_at=inv.started_at,
        finished_at=inv.finished_at, duration_ms=inv.duration_ms,
    )  # fmt: skip


def wait_public(wait: WaitRecord) -> WaitPublic:
    return WaitPublic(
        wait_id=wait.wait_id, kind=wait.kind, step_id=wait.step_id, node_path=wait.node_path,
        event_name=wait.event_name, correlation_key=wait.correlation_key, due_at=wait.due_at,
        status=wait.status, resolved_by=wait.resolved_by, created_at=wait.created_at,
        resolved_at=wait.resolved_at,
    )  # fmt: skip


def log_public(entry: LogRecord, redact: RunRedactor) -> LogPublic:
    message: Any = redact(entry.message)
    return LogPublic(
        at=entry.at, level=entry.level, message=str(message), step_id=entry.step_id,
        node_path=entry.node_path, data=redact(entry.data),
    )  # fmt: skip
