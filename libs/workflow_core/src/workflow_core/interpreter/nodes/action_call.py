"""``action.call``: resolve and validate args, request the action, validate its output.

The core never runs actions: it emits ``RequestAction`` (with the idempotency
key of SPEC section 9) and resumes on ``CompleteAction``. Output fields the
output schema marks ``x-sensitive`` are added to ``meta.redactions`` under
``saveAs``, so every later snapshot masks them.
"""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue

from workflow_core.definitions import NodeStep
from workflow_core.interpreter.commands import CompleteAction
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import RequestAction
from workflow_core.interpreter.envelope import parse_path, write_all
from workflow_core.interpreter.evaluation import evaluate, resolve
from workflow_core.interpreter.failures import StepFailureError, step_error, validation_error
from workflow_core.interpreter.ids import idempotency_key
from workflow_core.interpreter.nodes.lifecycle import Outcome
from workflow_core.json_schema import violations
from workflow_core.redaction import format_pointer, sensitive_pointers_from_schema
from workflow_core.registry import ActionSpec


def start(ctx: Ctx, step: NodeStep, path: str) -> Outcome:
    spec = action_spec(ctx, step)
    context = ctx.context()
    args = resolve(step.config.get("args", {}), context, now=ctx.now, node_path=path)
    if not isinstance(args, dict):
        raise StepFailureError(validation_error("INVALID_ACTION_ARGS", "args must be an object"))
    _check(spec.input_schema, args, "INVALID_ACTION_ARGS", f"args of {_label(spec)}")
    active = ctx.state.active
    assert active is not None
    request = RequestAction(
        request_id=ctx.next_id("request"),
        action_id=spec.action_id,
        version=spec.version,
        args=args,
        idempotency_key=_key(ctx, step, path, context),
        side_effectful=spec.side_effectful,
        attempt=active.attempt,
        step_id=step.id,
        node_path=path,
    )
    ctx.state.pending_action = request
    ctx.emit(request)
    return Outcome.PARKED


def complete(ctx: Ctx, step: NodeStep, command: CompleteAction) -> None:
    """Apply the action's result to the envelope (raises StepFailureError when it failed)."""
    ctx.state.pending_action = None
    if command.error is not None:
        failure = command.error
        raise StepFailureError(
            step_error(
                failure.category,
                failure.name,
                failure.message,
                retryable=failure.retryable,
                data=failure.data,
            )
        )
    spec = action_spec(ctx, step)
    _check(spec.output_schema, command.output, "INVALID_ACTION_OUTPUT", f"output of {_label(spec)}")
    save_as = step.config.get("saveAs")
    if isinstance(save_as, str):
        redactions = _redactions(ctx, spec, save_as, command.output)
        ctx.env = write_all(ctx.env, [(save_as, command.output), *redactions])


def action_spec(ctx: Ctx, step: NodeStep) -> ActionSpec:
    action_id, version = step.config.get("actionId"), step.config.get("version")
    spec = None
    if isinstance(action_id, str) and isinstance(version, int):
        spec = ctx.program.registry.actions.get(action_id, version)
    if spec is None:
        raise StepFailureError(
            validation_error("UNKNOWN_ACTION", f"unknown action {action_id!r} version {version!r}")
        )
    return spec


def _key(ctx: Ctx, step: NodeStep, path: str, context: dict[str, Any]) -> str:
    """The step's ``idempotencyKey`` Expr, else (run id, step id, loop indexes)."""
    expr = step.config.get("idempotencyKey")
    if not isinstance(expr, dict) or not isinstance(expr.get("$expr"), str):
        return idempotency_key(ctx.state.run_id, step.id, ctx.state.loop_indexes())
    value = evaluate(str(expr["$expr"]), context, now=ctx.now, node_path=path)
    if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
        raise StepFailureError(
            validation_error(
                "INVALID_IDEMPOTENCY_KEY", "idempotencyKey must give a string or number"
            )
        )
    return scalar_text(value)


def scalar_text(value: str | int | float) -> str:
    """A string or number as text; integral floats lose their ``.0`` (JSONata numbers)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check(schema: Any, instance: Any, name: str, what: str) -> None:
    found = violations(schema, instance)
    if found:
        detail = "; ".join(f"{v.pointer or '/'}: {v.message}" for v in found[:5])
        listed: list[JsonValue] = [dict(v.as_dict()) for v in found]
        problem = validation_error(name, f"{what} are invalid: {detail}", violations=listed)
        raise StepFailureError(problem)


def _redactions(
    ctx: Ctx, spec: ActionSpec, save_as: str, output: JsonValue
) -> list[tuple[str, Any]]:
    """Writes growing ``meta.redactions`` by the output's ``x-sensitive`` fields."""
    found = sensitive_pointers_from_schema(spec.output_schema, output)
    if not found:
        return []
    prefix = format_pointer(parse_path(save_as))
    current = list(ctx.env["meta"].get("redactions") or [])
    grown = current + [prefix + p for p in found if prefix + p not in current]
    return [("meta.redactions", grown)]


def _label(spec: ActionSpec) -> str:
    return f"action {spec.action_id!r} v{spec.version}"
