"""A ``RunRecording`` of a run played in memory: what the shell would load from its rows.

One recorded invocation per idempotency key (its last outcome, as the
``action_invocations`` row keeps it), one recorded wait per event or task
wait (how it closed), one recorded child per child run that finished.
"""

from __future__ import annotations

from typing import Any

from workflow_core.interpreter import (
    ChildRunFinished,
    CompleteAction,
    CompleteHumanTask,
    FinishRun,
    FireTimer,
    RegisterWait,
    RequestAction,
    ResumeWait,
    StartChildRun,
    StartRun,
    WaitKind,
)
from workflow_core.simulation import (
    RecordedChild,
    RecordedInvocation,
    RecordedWait,
    RunRecording,
    Simulation,
)

ANSWERED_WAITS = (WaitKind.EVENT, WaitKind.HUMAN_TASK)


def recording_of(played: Simulation) -> RunRecording:
    start = played.history[0].command
    assert isinstance(start, StartRun)
    state = played.state
    assert state is not None
    seen = _Seen()
    for step in played.history:
        seen.command(step.command, rejected=step.transition.rejected is not None)
        for effect in step.transition.effects:
            seen.effect(effect)
    finish = [f for f in played.effects_of(FinishRun) if f.error is not None]
    return RunRecording(
        run_id=start.run_id, tenant_id=start.tenant_id, workflow_id=start.workflow_id,
        workflow_version=start.workflow_version, started_at=start.now, payload=start.payload,
        seed=start.seed, trace_id=start.trace_id, tags=start.tags, status=state.status,
        envelope=state.envelope, error=finish[0].error.envelope_form() if finish else None,
        invocations=list(seen.invocations.values()), waits=list(seen.waits.values()),
        children=seen.children,
    )  # fmt: skip


class _Seen:
    def __init__(self) -> None:
        self.requests: dict[str, RequestAction] = {}
        self.invocations: dict[str, RecordedInvocation] = {}
        self.waits: dict[str, RecordedWait] = {}
        self.starts: dict[str, StartChildRun] = {}
        self.children: list[RecordedChild] = []

    def effect(self, effect: Any) -> None:
        if isinstance(effect, RequestAction):
            self.requests[effect.request_id] = effect
            self.invocations.setdefault(effect.idempotency_key, RecordedInvocation(
                action_id=effect.action_id, version=effect.version, step_id=effect.step_id,
                idempotency_key=effect.idempotency_key, status="STARTED", input=effect.args,
            ))  # fmt: skip
        elif isinstance(effect, RegisterWait) and effect.kind in ANSWERED_WAITS:
            self.waits[effect.wait_id] = RecordedWait(
                kind=effect.kind, step_id=effect.step_id, status="OPEN",
                event_name=effect.event_name, correlation_key=effect.correlation_key,
            )  # fmt: skip
        elif isinstance(effect, StartChildRun):
            self.starts[effect.child_run_id] = effect

    def command(self, command: Any, *, rejected: bool) -> None:
        if isinstance(command, CompleteAction) and command.request_id in self.requests:
            request = self.requests[command.request_id]
            self.invocations[request.idempotency_key] = RecordedInvocation(
                action_id=request.action_id, version=request.version, step_id=request.step_id,
                idempotency_key=request.idempotency_key,
                status="FAILED" if command.error else "SUCCEEDED", input=request.args,
                output=command.output, error=command.error, finished_at=command.now,
            )  # fmt: skip
        elif isinstance(command, ResumeWait) and command.wait_id in self.waits:
            self._close(command.wait_id, "RESOLVED", command.now, event=command.event)
        elif isinstance(command, FireTimer) and command.wait_id in self.waits:
            self._close(command.wait_id, "FIRED", command.now)
        elif isinstance(command, CompleteHumanTask) and not rejected:
            self._close(command.task_id, "RESOLVED", command.now, task_output=command.output,
                        task_completed=True, completed_by=command.completed_by)  # fmt: skip
        elif isinstance(command, ChildRunFinished) and command.child_run_id in self.starts:
            start = self.starts[command.child_run_id]
            self.children.append(RecordedChild(
                child_run_id=command.child_run_id, workflow_id=start.workflow_id,
                step_id=start.parent_step_id, status=command.status, envelope=command.envelope,
                error=command.error, completed_at=command.now,
            ))  # fmt: skip

    def _close(self, wait_id: str, status: str, now: Any, **fields: Any) -> None:
        if wait_id in self.waits:
            update = {"status": status, "resolved_at": now, **fields}
            self.waits[wait_id] = self.waits[wait_id].model_copy(update=update)
