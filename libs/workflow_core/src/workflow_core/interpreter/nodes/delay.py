"""``timer.delay``: park the run on a timer wait, for ``durationMs`` or ``until`` a time.

The same machinery as every other wait: the step registers a ``timer`` wait
with its due time, the scheduler fires it (FireTimer) and the step succeeds.
Nothing sleeps. The due time is computed once, from the command's ``now``
and the config, and recorded in the RegisterWait effect, so a replay never
decides it again. A due time that is not in the future (``durationMs: 0``,
an ``until`` already past) finishes the step at once, as Step Functions'
Wait state does with a past timestamp; a log line says so.

``until`` must give an ISO 8601 date-time with an offset (``2026-03-29T08:00:00+02:00``
or ``...Z``): a time without one is ambiguous, so it is a ValidationError.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import JsonValue

from workflow_core.definitions import NodeStep
from workflow_core.instants import InstantError, parse_instant
from workflow_core.interpreter.attempts import open_wait
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import RegisterWait, WaitKind
from workflow_core.interpreter.evaluation import resolve
from workflow_core.interpreter.failures import StepFailureError, validation_error
from workflow_core.interpreter.nodes.lifecycle import Outcome
from workflow_core.registry.builtin_nodes import MAX_DELAY_MS


def start(ctx: Ctx, step: NodeStep, path: str) -> Outcome:
    due_at = due_time(ctx, step, path)
    if due_at <= ctx.now:
        ctx.log("info", "delay already elapsed: no wait", dueAt=due_at.isoformat())
        return Outcome.DONE
    open_wait(
        ctx,
        RegisterWait(
            wait_id=ctx.next_id("timer"),
            kind=WaitKind.TIMER,
            step_id=step.id,
            node_path=path,
            due_at=due_at,
        ),
    )
    return Outcome.PARKED


def due_time(ctx: Ctx, step: NodeStep, path: str) -> datetime:
    config = step.config
    if "durationMs" in config:
        duration = resolve(config["durationMs"], ctx.context(), now=ctx.now, node_path=path)
        return ctx.now + timedelta(milliseconds=duration_ms(duration))
    until = resolve(config.get("until"), ctx.context(), now=ctx.now, node_path=path)
    due_at = parse_until(until)
    if due_at - ctx.now > timedelta(milliseconds=MAX_DELAY_MS):
        raise _invalid(f"until {until!r} is more than 366 days after now")
    return due_at


def duration_ms(value: JsonValue) -> int:
    """A whole, non-negative number of milliseconds up to MAX_DELAY_MS."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"durationMs must give a number of milliseconds, got {_kind(value)}")
    if not 0 <= value <= MAX_DELAY_MS:
        raise _invalid(f"durationMs must be between 0 and {MAX_DELAY_MS}, got {value}")
    return round(value)


def parse_until(value: JsonValue) -> datetime:
    """An ISO 8601 date-time with an offset; anything else is a ValidationError."""
    if not isinstance(value, str):
        raise _invalid(f"until must give an ISO 8601 date-time string, got {_kind(value)}")
    try:
        return parse_instant(value).astimezone(UTC)  # history shows every due time in UTC
    except InstantError as error:
        raise _invalid(f"until {error}") from None


def _invalid(message: str) -> StepFailureError:
    return StepFailureError(validation_error("INVALID_DELAY", message))


def _kind(value: JsonValue) -> str:
    return "null" if value is None else type(value).__name__
