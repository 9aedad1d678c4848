"""Starting a run: the payload check the shell makes first, and the initial state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_core.definitions import ROOT, Definition
from workflow_core.interpreter.commands import StartRun
from workflow_core.interpreter.envelope import mark_sensitive_payload, new_envelope
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
