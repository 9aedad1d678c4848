"""The work behind ``POST /workflow-definitions/{id}/draft/shadow-runs``.

1. In one **read-only** transaction (PostgreSQL itself refuses a write): the
   draft (404), its validation as publishing does (422 ``DRAFT_INVALID``,
   located), the runs (``sample``: the newest finished ones; ``runIds``: 404
   unknown, 422 another workflow's, 409 not finished), each run's recording
   (``sluice_engine.shadow.load_recording``) and its version's payload schema.
2. Outside it: each run driven through the draft in memory
   (``sluice_engine.shadow.shadow_run``), never writing, never calling an
   action except pure ones that need no I/O.
3. Each result redacted as the run's history is (``RunRedactor``): the past
   run's secrets and the draft run's (its ``meta.redactions``, its payload
   schema's ``x-sensitive`` fields), wherever they appear.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from sluice_engine.shadow import load_recording, shadow_run
from sluice_http import ProblemError, ProblemItem, not_found
from sluice_storage import DefinitionRepository, RunFilter, RunRecord, RunRepository
from workflow_core.definitions import Definition
from workflow_core.interpreter import RunStatus
from workflow_core.registry import Registry
from workflow_core.simulation import REFUSED, Answer, RunRecording, ShadowResult
from workflow_core.validation import validate_definition

from sluice_api.context import ApiContext
from sluice_api.publishing import draft_hash, known_workflows
from sluice_api.redaction import RunRedactor
from sluice_api.schemas.shadow_runs import (
    ShadowRunIds,
    ShadowRunPublic,
    ShadowRunReport,
    ShadowRunRequest,
    ShadowSummary,
)

FINAL = tuple(status.value for status in RunStatus if status.final)
UNRECORDED = frozenset({Answer.NO_RECORDING})


@dataclass(frozen=True)
class Loaded:
    """What the read-only transaction read."""

    definition: Definition
    document: dict[str, Any]
    version: int  # the draft would be published as this version
    runs: list[tuple[RunRecord, RunRecording, dict[str, Any] | None]]


async def shadow_draft(
    ctx: ApiContext, tenant_id: str, workflow_id: uuid.UUID, body: ShadowRunRequest
) -> ShadowRunReport:
    async with ctx.tx() as conn:
        await conn.execute("SET TRANSACTION READ ONLY")
        loaded = await _load(conn, ctx.registry, tenant_id, workflow_id, body)
    results = []
    for run, recording, payload_schema in loaded.runs:
        result = await shadow_run(
            loaded.definition, recording, registry=ctx.registry, handlers=ctx.handlers,
            version=loaded.version, services=ctx.engine.action_services,
        )  # fmt: skip
        results.append(_public(run, result, payload_schema, _draft_schema(loaded, ctx.registry)))
    return ShadowRunReport(
        workflow_id=workflow_id, draft_hash=draft_hash(loaded.document),
        summary=_summary(results), runs=results,
    )  # fmt: skip


async def _load(
    conn: asyncpg.Connection, registry: Registry, tenant_id: str, workflow_id: uuid.UUID,
    body: ShadowRunRequest,
) -> Loaded:  # fmt: skip
    repo = DefinitionRepository(conn, tenant_id)
    record = await repo.get(workflow_id)
    if record is None:
        raise not_found("definition", workflow_id)
    known = await known_workflows(conn, tenant_id)
    report = validate_definition(record.draft, registry=registry, known_workflows=known)
    if not report.ok:
        errors = [e for e in report.errors if e.severity == "error"]
        items = [ProblemItem(pointer=e.pointer or "", message=f"{e.code.value} at {e.step_path}: "
                             + e.message) for e in errors]  # fmt: skip
        detail = f"the draft of {workflow_id} does not validate; fix it before shadow runs"
        raise ProblemError(422, "DRAFT_INVALID", detail, errors=items)
    runs = await _runs(conn, tenant_id, workflow_id, body)
    schemas: dict[int, dict[str, Any] | None] = {}
    loaded = []
    for run in runs:
        if run.workflow_version not in schemas:
            version = await repo.get_version(workflow_id, run.workflow_version)
            schemas[run.workflow_version] = version.payload_schema if version else None
        recording = await load_recording(conn, tenant_id, run)
        loaded.append((run, recording, schemas[run.workflow_version]))
    return Loaded(
        definition=Definition.parse(record.draft), document=record.draft,
        version=(record.latest_version or 0) + 1, runs=loaded,
    )  # fmt: skip


async def _runs(
    conn: asyncpg.Connection, tenant_id: str, workflow_id: uuid.UUID, body: ShadowRunRequest
) -> list[RunRecord]:
    repo = RunRepository(conn, tenant_id)
    if not isinstance(body, ShadowRunIds):
        wanted = RunFilter(statuses=FINAL, workflow_id=workflow_id)
        return list((await repo.list_runs(wanted, limit=body.sample)).items)
    run_ids = list(dict.fromkeys(body.run_ids))  # duplicates count once, order kept
    found = {run.run_id: run for run in await repo.get_many(run_ids)}
    for index, run_id in enumerate(run_ids):
        run = found.get(run_id)
        if run is None:
            raise not_found("run", run_id)
        if run.workflow_id != workflow_id:
            detail = f"run {run_id} is a run of workflow {run.workflow_id}, not of {workflow_id}"
            item = ProblemItem(pointer=f"/runIds/{index}", message=detail)
            raise ProblemError(422, "VALIDATION_FAILED", detail, errors=[item])
        if run.status not in FINAL:
            detail = (f"run {run_id} is {run.status}: shadow runs replay finished runs, "
                      "whose every answer is recorded")  # fmt: skip
            raise ProblemError(409, "RUN_NOT_FINISHED", detail)
    return [found[run_id] for run_id in run_ids]


def _draft_schema(loaded: Loaded, registry: Registry) -> dict[str, Any] | None:
    ref = loaded.definition.payload_schema_ref
    schema = registry.schemas.get(ref) if ref else None
    return dict(schema) if schema is not None else None


def _public(
    run: RunRecord, result: ShadowResult, payload_schema: dict[str, Any] | None,
    draft_schema: dict[str, Any] | None,
) -> ShadowRunPublic:  # fmt: skip
    """The result as operators may see it: both runs' secrets masked everywhere."""
    past = RunRedactor(run.run_state, payload_schema)
    draft = RunRedactor({"envelope": result.draft_envelope}, draft_schema)
    shown = result.model_dump(mode="json", exclude={"draft_envelope", "run_id"})
    masked = draft(past(shown))
    return ShadowRunPublic.model_validate(
        {
            **masked,
            "runId": run.run_id,
            "workflowVersion": run.workflow_version,
            "startedAt": run.started_at,
        }
    )


def _summary(runs: list[ShadowRunPublic]) -> ShadowSummary:
    def has(run: ShadowRunPublic, answers: frozenset[Answer]) -> bool:
        return any(c.answer in answers for c in run.calls) or any(
            w.answer in answers for w in run.waits
        )

    changed = sum(r.outcome_changed for r in runs)
    unchanged = sum(
        not r.outcome_changed and not r.not_called
        and all(c.answer in (Answer.RECORDED, Answer.EXECUTED) for c in r.calls)
        for r in runs
    )  # fmt: skip
    return ShadowSummary(
        runs=len(runs), outcome_changed=changed, unchanged=unchanged,
        with_unrecorded_calls=sum(has(r, UNRECORDED) for r in runs),
        with_changed_inputs=sum(has(r, frozenset({Answer.INPUT_CHANGED})) for r in runs),
        refused=sum(r.draft.status == REFUSED for r in runs),
        incomplete=sum(r.stopped is not None for r in runs),
    )  # fmt: skip
