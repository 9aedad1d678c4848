"""``validate_definition``: every publish error and warning of a draft at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from workflow_core.definitions import (
    ROOT,
    CallWorkflowStep,
    ForEachStep,
    NodeStep,
    ScheduleTrigger,
    WebhookTrigger,
    step_pointer,
)
from workflow_core.errors import PublishCode
from workflow_core.json_schema import schema_problem
from workflow_core.registry import Registry
from workflow_core.schedules import ScheduleError, parse_schedule
from workflow_core.validation.context import KnownWorkflows, ValidationContext, make_context
from workflow_core.validation.flow_control import check_flow_control
from workflow_core.validation.nodes import check_node_step
from workflow_core.validation.references import StepChecker
from workflow_core.validation.report import Findings, ValidationReport, did_you_mean
from workflow_core.validation.scopes import TypeAnalysis, analyse_types
from workflow_core.validation.shape import RawStep, parse_draft
from workflow_core.validation.workflows import check_call
from workflow_core.validation.write_paths import var_writers


def validate_definition(
    document: Mapping[str, Any],
    *,
    registry: Registry,
    known_workflows: KnownWorkflows | None = None,
    self_id: str | None = None,
) -> ValidationReport:
    """Check a draft (the raw JSON document) for publishing (SPEC section 11).

    ``validate_with_types`` gives the type analysis it used as well.

    Never stops at the first problem: shape errors are located at the step
    that has them and the other steps are still checked. ``known_workflows``
    (a mapping or a lookup function) enables UNKNOWN_WORKFLOW and indirect
    RECURSIVE_CALL checks; ``self_id`` defaults to the document's ``id``.
    """
    return validate_with_types(
        document, registry=registry, known_workflows=known_workflows, self_id=self_id
    )[0]


def validate_with_types(
    document: Mapping[str, Any],
    *,
    registry: Registry,
    known_workflows: KnownWorkflows | None = None,
    self_id: str | None = None,
) -> tuple[ValidationReport, TypeAnalysis]:
    """``validate_definition``'s report and the scopes it checked expressions against."""
    findings = Findings()
    draft = parse_draft(document, findings)
    ctx = make_context(draft, registry, known_workflows, self_id)
    analysis = analyse_types(document, registry)
    _check_root(ctx, findings)
    _check_duplicate_ids(draft.steps, findings)
    writers = var_writers(draft.steps)
    strict = draft.raw_root.get("strictTypes") is True
    for step in draft.steps:
        _check_step(step, ctx, findings, writers)
        StepChecker(
            step, ctx, findings, analysis.scope(step.path), writers, strict,
            step_pointer(step.path),
        ).run()  # fmt: skip
    for problem in analysis.write_problems:
        scope = analysis.scope(problem.step_path)
        findings.add(
            "error" if strict else "warning", PublishCode.TYPE_MISMATCH, problem.step_path,
            problem.message, scope.step_id if scope else None,
            step_pointer(problem.step_path) + problem.pointer,
        )  # fmt: skip
    return findings.report(draft.order()), analysis


def _check_root(ctx: ValidationContext, f: Findings) -> None:
    if ctx.draft.root is not None:
        check_flow_control(ctx.draft.root, f)
    trigger = ctx.draft.root.trigger if ctx.draft.root is not None else None
    if isinstance(trigger, ScheduleTrigger):
        try:
            parse_schedule(trigger)
        except ScheduleError as error:
            pointer = f"/trigger/{error.field}"
            f.error(PublishCode.INVALID_TRIGGER, ROOT, str(error), None, pointer)
    if isinstance(trigger, WebhookTrigger) and trigger.schema_ is not None:
        problem = schema_problem(trigger.schema_)
        if problem:
            message = f"trigger.schema: {problem}"
            f.error(PublishCode.INVALID_TRIGGER, ROOT, message, None, "/trigger/schema")
    ref = ctx.payload_ref
    if ref is not None and ctx.payload_schema is None:
        hint = did_you_mean(ref, ctx.registry.schemas.refs())
        f.error(
            PublishCode.UNKNOWN_SCHEMA_REF,
            ROOT,
            f"payloadSchemaRef: unknown schema {ref!r}{hint}",
            None,
        )


def _check_duplicate_ids(steps: list[RawStep], f: Findings) -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for step in steps:
        if step.step_id is None:
            continue
        first = seen[step.step_id]
        if first:
            message = f"step id {step.step_id!r} is already used at {first[0]}"
            f.error(PublishCode.DUPLICATE_STEP_ID, step.path, message, step.step_id)
        first.append(step.path)


def _check_step(
    step: RawStep, ctx: ValidationContext, f: Findings, writers: Mapping[str, list[str]]
) -> None:
    model = step.model
    if isinstance(model, NodeStep):
        check_node_step(step, model, ctx, f)
    elif isinstance(model, ForEachStep) and model.on_item_error == "continue":
        tolerance = model.tolerated_failure_count, model.tolerated_failure_percentage
        if tolerance != (None, None):
            message = (
                'onItemError "continue" tolerates every failed item: '
                "toleratedFailureCount/toleratedFailurePercentage have no effect"
            )
            f.warning(PublishCode.TOLERANCE_IGNORED, step.path, message, step.step_id)
    elif isinstance(model, CallWorkflowStep):
        check_call(step, model, ctx, f)
