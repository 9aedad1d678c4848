"""``human.task``: create a task, park, resume on a valid completion (SPEC 6 and 8).

The form schema is inline (``formSchema``) or named (``formSchemaRef``, from
the schema registry). An invalid completion is refused: ``advance`` answers
with ``rejected`` and the violations, leaves the state unchanged and the task
open. The optional ``timeoutMs`` fails the step with TimeoutError.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import JsonValue

from workflow_core.definitions import NodeStep
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.attempts import open_wait
from workflow_core.interpreter.commands import CompleteHumanTask
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import HumanTaskSpec, RegisterWait, WaitKind
from workflow_core.interpreter.envelope import write_all
from workflow_core.interpreter.evaluation import resolve
from workflow_core.interpreter.failures import StepFailureError, step_error, validation_error
from workflow_core.interpreter.nodes.lifecycle import Outcome
from workflow_core.json_schema import SchemaViolation, violations


def start(ctx: Ctx, step: NodeStep, path: str) -> Outcome:
    config, context = step.config, ctx.context()
    title = resolve(config.get("title"), context, now=ctx.now, node_path=path)
    description = resolve(config.get("description"), context, now=ctx.now, node_path=path)
    timeout = config.get("timeoutMs")
    task = HumanTaskSpec(
        task_type=str(config.get("taskType")),
        title=_text(title),
        description=None if description is None else _text(description),
        form_schema=form_schema(ctx, step),
        assignee=_optional_str(config.get("assignee")),
    )
    open_wait(
        ctx,
        RegisterWait(
            wait_id=ctx.next_id("task"),
            kind=WaitKind.HUMAN_TASK,
            step_id=step.id,
            node_path=path,
            due_at=ctx.now + timedelta(milliseconds=timeout) if isinstance(timeout, int) else None,
            task=task,
        ),
    )
    return Outcome.PARKED


def form_schema(ctx: Ctx, step: NodeStep) -> dict[str, JsonValue]:
    inline = step.config.get("formSchema")
    if isinstance(inline, dict):
        return inline
    ref = step.config.get("formSchemaRef")
    schema = ctx.program.registry.schemas.get(ref) if isinstance(ref, str) else None
    if schema is None:
        problem = validation_error("UNKNOWN_SCHEMA_REF", f"unknown form schema {ref!r}")
        raise StepFailureError(problem)
    return schema


def completion_violations(ctx: Ctx, step: NodeStep, output: Any) -> list[SchemaViolation]:
    return violations(form_schema(ctx, step), output)


def complete(ctx: Ctx, step: NodeStep, command: CompleteHumanTask) -> None:
    save_as = step.config.get("saveAs")
    if isinstance(save_as, str):
        ctx.env = write_all(ctx.env, [(save_as, command.output)])


def timed_out(step: NodeStep) -> StepFailureError:
    return StepFailureError(
        step_error(
            ErrorCategory.TIMEOUT,
            "HUMAN_TASK_TIMED_OUT",
            f"task {step.config.get('taskType')!r} was not completed before the timeout",
        )
    )


def _text(value: JsonValue) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _optional_str(value: JsonValue) -> str | None:
    return value if isinstance(value, str) else None
