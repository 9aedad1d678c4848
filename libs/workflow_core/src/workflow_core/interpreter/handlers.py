"""One handler per command type (except StartRun, see ``starting``).

A command that no longer applies (a timer for a wait already resolved, a second
result for the same request, an event for a closed wait) changes nothing but
leaves a log line: duplicates and races are normal at-least-once traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflow_core.definitions import CallWorkflowStep, NodeStep
from workflow_core.interpreter import lanes
from workflow_core.interpreter.attempts import close_wait, succeed_step
from workflow_core.interpreter.blocks import call_workflow
from workflow_core.interpreter.commands import (
    BeginRun,
    CancelRun,
    ChildRunFinished,
    CompleteAction,
    CompleteHumanTask,
    Continue,
    FireTimer,
    ResumeWait,
)
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import FinalStatus, WaitKind, WaitOutcome
from workflow_core.interpreter.failures import StepFailureError
from workflow_core.interpreter.frames import finish_run
from workflow_core.interpreter.nodes import action_call, event_wait, human_task
from workflow_core.interpreter.nodes.dispatch import run_node
from workflow_core.interpreter.nodes.lifecycle import fail_node, resume_node
from workflow_core.interpreter.rejection import CommandRejectedError
from workflow_core.interpreter.starting import on_begin
from workflow_core.interpreter.state import OpenWait, RunStatus


def on_complete_action(ctx: Ctx, command: CompleteAction) -> None:
    pending = ctx.state.pending_action
    if pending is None or pending.request_id != command.request_id:
        late = command.request_id == ctx.state.abandoned_request_id
        message = (
            "action result after cancel: recorded, not acted on"
            if late
            else ("stale action result ignored")
        )
        ctx.log("info", message, requestId=command.request_id, failed=command.error is not None)
        return
    step = _active_node(ctx)
    resume_node(ctx, step, lambda: action_call.complete(ctx, step, command))


def on_resume_wait(ctx: Ctx, command: ResumeWait) -> None:
    wait = _open_wait(ctx, command.wait_id, WaitKind.EVENT)
    if wait is None:
        return
    close_wait(ctx, wait, WaitOutcome.RESOLVED)
    step = _active_node(ctx)
    resume_node(ctx, step, lambda: event_wait.resume(ctx, step, command))


def on_fire_timer(ctx: Ctx, command: FireTimer) -> None:
    wait = _open_wait(
        ctx, command.wait_id, WaitKind.RETRY, WaitKind.TIMER, WaitKind.EVENT, WaitKind.HUMAN_TASK
    )
    if wait is None:
        return
    active, step = ctx.state.active, _active_node(ctx)
    assert active is not None
    if wait.kind is WaitKind.TIMER:  # a delay node's time has come
        close_wait(ctx, wait, WaitOutcome.FIRED)
        succeed_step(ctx)
        return
    if wait.kind is WaitKind.RETRY:
        close_wait(ctx, wait, WaitOutcome.FIRED)
        run_node(ctx, step, active.node_path, active.attempt + 1)
        return
    close_wait(ctx, wait, WaitOutcome.TIMED_OUT)
    module = event_wait if wait.kind is WaitKind.EVENT else human_task
    fail_node(ctx, step, module.timed_out(step).error)


def on_complete_human_task(ctx: Ctx, command: CompleteHumanTask) -> None:
    wait = _open_wait(ctx, command.task_id, WaitKind.HUMAN_TASK)
    if wait is None:
        return
    step = _active_node(ctx)
    try:
        found = human_task.completion_violations(ctx, step, command.output)
    except StepFailureError as failure:  # the form schema vanished from the registry
        close_wait(ctx, wait, WaitOutcome.RESOLVED)
        fail_node(ctx, step, failure.error)
        return
    if found:
        raise CommandRejectedError("task output does not match the form schema", found)
    close_wait(ctx, wait, WaitOutcome.RESOLVED)
    resume_node(ctx, step, lambda: human_task.complete(ctx, step, command))


def on_child_run_finished(ctx: Ctx, command: ChildRunFinished) -> None:
    wait = next(
        (w for w in ctx.state.waits if w.child_run_id == command.child_run_id),
        None,
    )
    if wait is None or not command.status.final:
        ctx.log("info", "stale child-run result ignored", childRunId=command.child_run_id)
        return
    close_wait(ctx, wait, WaitOutcome.RESOLVED)
    step = ctx.program.steps[wait.node_path]
    assert isinstance(step, CallWorkflowStep)
    call_workflow.finished(ctx, step, command)


def on_cancel(ctx: Ctx, command: CancelRun) -> None:
    """Release waits, cancel children, abandon an in-flight action, end CANCELED."""
    state = ctx.state
    ctx.log("info", "run canceled", reason=command.reason)
    if state.pending_action is not None:
        state.abandoned_request_id = state.pending_action.request_id
        state.pending_action = None
    finish_run(ctx, FinalStatus.CANCELED)


def on_continue(ctx: Ctx, command: Continue) -> None:
    """Re-drive: re-send pending action requests (the executor deduplicates them),
    the run's own and those of its parallel items in flight, in item order."""
    state = ctx.state
    if state.status is not RunStatus.RUNNING:
        return
    pending = [state.pending_action] if state.pending_action else []
    for request in [*pending, *lanes.pending_actions(state.frames)]:
        ctx.emit(request)


HANDLERS: dict[type[Any], Callable[[Ctx, Any], None]] = {
    BeginRun: on_begin,
    CompleteAction: on_complete_action,
    ResumeWait: on_resume_wait,
    FireTimer: on_fire_timer,
    CompleteHumanTask: on_complete_human_task,
    ChildRunFinished: on_child_run_finished,
    CancelRun: on_cancel,
    Continue: on_continue,
}


def _open_wait(ctx: Ctx, wait_id: str, *kinds: WaitKind) -> OpenWait | None:
    wait = ctx.state.wait(wait_id)
    if wait is None or wait.kind not in kinds:
        ctx.log("info", "stale wait command ignored", waitId=wait_id)
        return None
    return wait


def _active_node(ctx: Ctx) -> NodeStep:
    active = ctx.state.active
    assert active is not None, "a parked node step is active"
    step = ctx.program.steps[active.node_path]
    assert isinstance(step, NodeStep)
    return step
