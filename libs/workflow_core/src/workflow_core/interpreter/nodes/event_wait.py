"""``event.wait``: park until a matching event, or time out (SPEC sections 6 and 8).

The correlation key must evaluate to a string or number (used as a string).
On resume, ``assign`` runs with ``event`` in the context; on timeout the step
fails with TimeoutError (never retried; ``onError`` and ``tryCatch`` apply).
"""

from __future__ import annotations

from datetime import timedelta

from workflow_core.definitions import NodeStep, is_expr
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.attempts import open_wait
from workflow_core.interpreter.commands import ResumeWait
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import RegisterWait, WaitKind
from workflow_core.interpreter.evaluation import evaluate
from workflow_core.interpreter.failures import StepFailureError, step_error, validation_error
from workflow_core.interpreter.nodes.action_call import scalar_text
from workflow_core.interpreter.nodes.assign import apply_assign
from workflow_core.interpreter.nodes.lifecycle import Outcome

DEFAULT_TIMEOUT_MS = 30 * 24 * 3600 * 1000  # 30 days
DEFAULT_ACCEPT_EARLIER_MS = 600_000  # 10 minutes


def start(ctx: Ctx, step: NodeStep, path: str) -> Outcome:
    config = step.config
    source = config.get("correlationKey")
    if not is_expr(source):
        raise StepFailureError(validation_error("INVALID_CONFIG", "correlationKey must be an Expr"))
    key = evaluate(source["$expr"], ctx.context(), now=ctx.now, node_path=path)
    if isinstance(key, bool) or not isinstance(key, str | int | float):
        raise StepFailureError(
            validation_error(
                "INVALID_CORRELATION_KEY",
                f"correlationKey must give a string or number, got {type(key).__name__}",
            )
        )
    timeout_ms = config.get("timeoutMs")
    accept = config.get("acceptEarlierEventsMs")
    open_wait(
        ctx,
        RegisterWait(
            wait_id=ctx.next_id("wait"),
            kind=WaitKind.EVENT,
            step_id=step.id,
            node_path=path,
            event_name=str(config.get("eventName")),
            correlation_key=scalar_text(key),
            due_at=ctx.now + timedelta(milliseconds=_int(timeout_ms, DEFAULT_TIMEOUT_MS)),
            accept_earlier_ms=_int(accept, DEFAULT_ACCEPT_EARLIER_MS),
        ),
    )
    return Outcome.PARKED


def resume(ctx: Ctx, step: NodeStep, command: ResumeWait) -> None:
    assign = step.config.get("assign")
    if assign is not None:
        event = command.event.model_dump(mode="json")
        apply_assign(ctx, assign, ctx.context(event=event), ctx.state.node_path or "")


def timed_out(step: NodeStep) -> StepFailureError:
    return StepFailureError(
        step_error(
            ErrorCategory.TIMEOUT,
            "EVENT_WAIT_TIMED_OUT",
            f"no {step.config.get('eventName')} event arrived before the timeout",
        )
    )


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
