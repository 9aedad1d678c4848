"""Starting a run: the payload check the shell makes first, and the initial state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_core.definitions import ROOT, Definition
from workflow_core.interpreter.commands import Admission, BeginRun, StartRun
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import FinalStatus
from workflow_core.interpreter.envelope import mark_sensitive_payload, new_envelope
from workflow_core.interpreter.failures import validation_error
from workflow_core.interpreter.frames import finish_run
from workflow_core.interpreter.state import Frame, RunState, RunStatus
from workflow_core.json_schema import SchemaViolation, violations
from workflow_core.registry import Registry


def payload_violations(
    definition: Definition, payload: object, *, registry: Registry
) -> list[SchemaViolation]:
    """SPEC section 4: an invalid payload is refused and no run exists.

    The shell calls this before it creates the run; ``advance`` trusts it.
    An unknown ``payloadSchemaRef`` is itself a violation.
    """
    ref = definition.payload_schema_ref
    if ref is None:
        ok = isinstance(payload, dict)
        return [] if ok else [SchemaViolation("", "payload must be an object")]
    schema = registry.schemas.get(ref)
    if schema is None:
        return [SchemaViolation("", f"unknown payload schema {ref!r}")]
    return violations(schema, payload)


def initial_state(command: StartRun, payload_schema: Mapping[str, Any] | None) -> RunState:
    envelope = new_envelope(
        run_id=command.run_id,
        workflow_id=command.workflow_id,
        workflow_version=command.workflow_version,
        started_at=command.now,
        payload=command.payload,
        trace_id=command.trace_id,
        tags=command.tags,
    )
    mark_sensitive_payload(envelope, payload_schema)
    return RunState(
        run_id=command.run_id,
        tenant_id=command.tenant_id,
        workflow_id=command.workflow_id,
        workflow_version=command.workflow_version,
        status=RunStatus.RUNNING,
        envelope=envelope,
        frames=[Frame(block_path=ROOT)],
        seed=command.seed,
        call_depth=command.call_depth,
        parent_run_id=command.parent_run_id,
        parent_step_id=command.parent_step_id,
    )


def hold_back(ctx: Ctx, command: StartRun) -> None:
    """A start its workflow's concurrency limit did not admit: QUEUED (it begins on
    ``BeginRun``), or ended at once, CANCELED or FAILED with the reason as its error."""
    if command.admission is Admission.START:
        return
    if command.admission is Admission.QUEUE:
        ctx.state.status = RunStatus.QUEUED
        ctx.log("info", command.reason, admission=command.admission.value)
        return
    error = validation_error("CONCURRENCY_LIMIT", f"run not started: {command.reason}")
    located = error.model_copy(update={"node_path": ROOT, "at": command.now})
    ctx.log("info", located.message, admission=command.admission.value)
    status = FinalStatus.CANCELED if command.admission is Admission.CANCEL else FinalStatus.FAILED
    finish_run(ctx, status, located)


def on_begin(ctx: Ctx, command: BeginRun) -> None:
    """A slot freed (the shell checked it under its lock): a QUEUED run begins."""
    if ctx.state.status is not RunStatus.QUEUED:
        ctx.log("info", "BeginRun ignored: the run is not queued")
        return
    ctx.state.status = RunStatus.RUNNING
    ctx.log("info", "run began: a concurrency slot freed")
