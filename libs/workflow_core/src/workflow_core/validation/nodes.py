"""Node steps: UNKNOWN_NODE_TYPE, INVALID_CONFIG, UNKNOWN_ACTION, form schema refs,
ON_ERROR_OVERRIDDEN."""

from __future__ import annotations

from typing import Any

from workflow_core.definitions import CONTROL_TYPES, NodeStep, is_expr
from workflow_core.errors import PublishCode
from workflow_core.instants import InstantError, parse_instant
from workflow_core.json_schema import schema_problem
from workflow_core.registry import NodeTypeSpec
from workflow_core.validation.context import ValidationContext
from workflow_core.validation.expr_schema import expr_tolerant_violations
from workflow_core.validation.report import Findings, did_you_mean
from workflow_core.validation.shape import RawStep

ACTION_CALL = "action.call"
HUMAN_TASK = "human.task"
DELAY = "timer.delay"
# Fields publish must read as literals (to find the action, the form schema, the
# write path, the wait's event); an Expr there is INVALID_CONFIG. A plugin node
# type adds its own with ``extra={"literalFields": [...]}``.
LITERAL_FIELDS: dict[str, frozenset[str]] = {
    ACTION_CALL: frozenset({"actionId", "version", "onError"}),
    "event.wait": frozenset({"eventName", "assign"}),
    "transform.assign": frozenset({"assign"}),
    HUMAN_TASK: frozenset({"taskType", "formSchema", "formSchemaRef"}),
}


def check_node_step(step: RawStep, model: NodeStep, ctx: ValidationContext, f: Findings) -> None:
    spec = ctx.registry.node_types.get(model.type)
    if spec is None:
        known = [s.type_name for s in ctx.registry.node_types.all()] + sorted(CONTROL_TYPES)
        hint = did_you_mean(model.type, known)
        f.error(
            PublishCode.UNKNOWN_NODE_TYPE,
            step.path,
            f"unknown node type {model.type!r}{hint}",
            step.step_id,
        )
        return
    config = model.config
    for message in expr_tolerant_violations(spec.config_schema, config, prefix="config"):
        f.error(PublishCode.INVALID_CONFIG, step.path, message, step.step_id)
    for name in sorted(literal_fields(spec)):
        if is_expr(config.get(name)):
            message = f"config.{name} must be a literal value, not an expression"
            f.error(PublishCode.INVALID_CONFIG, step.path, message, step.step_id)
    if model.type == ACTION_CALL:
        _check_action_call(step, model, ctx, f)
    elif model.type == HUMAN_TASK:
        _check_form(step, config, ctx, f)
    elif model.type == DELAY:
        _check_delay(step, config, f)


def literal_fields(spec: NodeTypeSpec) -> frozenset[str]:
    declared = spec.extra.get("literalFields") or ()
    return LITERAL_FIELDS.get(spec.type_name, frozenset()) | {"saveAs"} | set(declared)


def _check_action_call(step: RawStep, model: NodeStep, ctx: ValidationContext, f: Findings) -> None:
    config = model.config
    action_id, version = config.get("actionId"), config.get("version")
    if model.on_error is not None and isinstance(config.get("onError"), dict):
        message = (
            f"both onError ({model.on_error.policy!r}) and config.onError are set; "
            "the step-level policy wins"
        )
        f.warning(PublishCode.ON_ERROR_OVERRIDDEN, step.path, message, step.step_id)
    if not isinstance(action_id, str) or not isinstance(version, int) or isinstance(version, bool):
        return  # the config schema already reported it
    spec = ctx.registry.actions.get(action_id, version)
    if spec is None:
        f.error(
            PublishCode.UNKNOWN_ACTION,
            step.path,
            _unknown_action(action_id, version, ctx),
            step.step_id,
        )
        return
    args = config.get("args", {})
    if isinstance(args, dict):
        for message in expr_tolerant_violations(spec.input_schema, args, prefix="config/args"):
            f.error(PublishCode.INVALID_CONFIG, step.path, message, step.step_id)


def _unknown_action(action_id: str, version: int, ctx: ValidationContext) -> str:
    versions = ctx.registry.actions.versions(action_id)
    if versions:
        listed = ", ".join(map(str, versions))
        return f"action {action_id!r} has no version {version} (registered: {listed})"
    known = [spec.action_id for spec in ctx.registry.actions.all()]
    return f"action {action_id!r} is not registered{did_you_mean(action_id, known)}"


def _check_form(step: RawStep, config: dict[str, Any], ctx: ValidationContext, f: Findings) -> None:
    ref, inline = config.get("formSchemaRef"), config.get("formSchema")
    if isinstance(ref, str) and ref not in ctx.registry.schemas:
        hint = did_you_mean(ref, ctx.registry.schemas.refs())
        message = f"config.formSchemaRef: unknown schema {ref!r}{hint}"
        f.error(PublishCode.UNKNOWN_SCHEMA_REF, step.path, message, step.step_id)
    if isinstance(inline, dict) and not is_expr(inline):
        problem = schema_problem(inline)
        if problem:
            f.error(
                PublishCode.INVALID_CONFIG, step.path, f"config.formSchema: {problem}", step.step_id
            )


def _check_delay(step: RawStep, config: dict[str, Any], f: Findings) -> None:
    """A literal ``until`` must be an instant with an offset (the schema's date-time
    format is not checked without an extra package, and it allows no offset)."""
    until = config.get("until")
    if isinstance(until, str):
        try:
            parse_instant(until)
        except InstantError as error:
            f.error(PublishCode.INVALID_CONFIG, step.path, f"config.until: {error}", step.step_id)
