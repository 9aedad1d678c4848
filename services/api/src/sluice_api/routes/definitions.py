"""``/workflow-definitions``: drafts (any JSON object), versions, publish."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Body, Header, Path, Query, Response
from sluice_engine.pausing import pause_workflow, unpause_workflow
from sluice_http import Problem, ProblemError, ProblemItem, link, not_found, sluice_router
from sluice_storage import DefinitionRecord, DefinitionRepository, DefinitionVersionRecord
from workflow_core.definitions import parse_path
from workflow_core.definitions.diff import diff_steps

from sluice_api.audit import audit
from sluice_api.deps import (
    ContextDep,
    CursorQuery,
    DefinitionIdPath,
    LimitQuery,
    Manager,
    Publisher,
    Viewer,
)
from sluice_api.publishing import draft_hash, publish_draft
from sluice_api.schemas.common import OperatorRequest, Page
from sluice_api.schemas.definitions import (
    DefinitionPublic,
    DefinitionVersionPublic,
    PausePublic,
    PauseResult,
    PublishResult,
)
from sluice_api.schemas.type_analysis import StepScopePublic
from sluice_api.type_analysis import analyse_document, scope_public

router = sluice_router(prefix="/workflow-definitions", tags=["definitions"])
DRAFT = "draft"
# At most 9 digits: every such number fits PostgreSQL's integer column.
VersionPath = Annotated[
    str,
    Path(
        pattern="^(draft|[1-9][0-9]{0,8})$",
        description='"draft", or a published version number (1 to 999999999)',
    ),
]
DraftBody = Annotated[
    dict[str, Any], Body(description="the SPEC 3 document; checked only when publishing")
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="the draft's ETag as last read; the update is refused (412) when the "
        "draft changed since. Optional: without it the last write wins.",
    ),
]
ETAG_HEADERS = {
    "ETag": {"description": "the draft's version tag, for If-Match", "schema": {"type": "string"}}
}


def draft_etag(draft: dict[str, Any]) -> str:
    """A strong tag of the stored draft's content: equal tags, equal documents."""
    return f'"{draft_hash(draft)}"'


def if_match_holds(if_match: str, current: str) -> bool:
    """RFC 9110 If-Match: ``*`` or any listed strong tag equal to ``current``."""
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or current in tags


def parse_version(raw: str) -> str | int:
    if raw == DRAFT:
        return DRAFT
    if raw.isascii() and raw.isdigit() and int(raw) >= 1:
        return int(raw)
    raise ProblemError(
        422, "VALIDATION_FAILED", f'version must be "draft" or a number >= 1, not {raw!r}'
    )


def draft_document(body: dict[str, Any], workflow_id: uuid.UUID) -> dict[str, Any]:
    """The stored draft: the body with the server's id and without ``version`` (ignored)."""
    document = {key: value for key, value in body.items() if key != "version"}
    document["id"] = str(workflow_id)
    return document


def id_from_body(body: dict[str, Any]) -> uuid.UUID:
    given = body.get("id")
    if given is None:
        return uuid.uuid4()
    try:
        return uuid.UUID(str(given))
    except ValueError:
        raise ProblemError(
            422,
            "VALIDATION_FAILED",
            f"id must be a UUID, not {given!r}",
        ) from None


def draft_public(record: DefinitionRecord) -> DefinitionVersionPublic:
    return DefinitionVersionPublic(
        id=record.workflow_id, version=DRAFT, name=record.name, definition=record.draft,
        updated_at=record.updated_at,
    )  # fmt: skip


def version_public(record: DefinitionVersionRecord) -> DefinitionVersionPublic:
    return DefinitionVersionPublic(
        id=record.workflow_id, version=record.version, name=record.name,
        definition=record.definition, published_at=record.published_at,
        published_by=record.published_by, payload_schema=record.payload_schema,
    )  # fmt: skip


def pause_public(record: DefinitionRecord) -> PausePublic | None:
    if record.paused_at is None:
        return None
    return PausePublic(at=record.paused_at, reason=record.paused_reason or "",
                       by=record.paused_by or "")  # fmt: skip


def summary_public(record: DefinitionRecord) -> DefinitionPublic:
    return DefinitionPublic(
        id=record.workflow_id, name=record.name, latest_version=record.latest_version,
        trigger_event=record.latest_trigger_event, created_at=record.created_at,
        updated_at=record.updated_at, paused=pause_public(record),
    )  # fmt: skip


@router.get("", summary="List definitions (recently updated first)")
async def list_definitions(
    ctx: ContextDep, who: Viewer, cursor: CursorQuery = None, limit: LimitQuery = None
) -> Page[DefinitionPublic]:
    async with ctx.tx() as conn:
        page = await DefinitionRepository(conn, who.tenant_id).list_definitions(
            cursor=cursor, limit=limit
        )
    return Page(items=[summary_public(r) for r in page.items], next_cursor=page.next_cursor)


@router.post(
    "", status_code=201, summary="Create a draft",
    responses={
        201: {"description": "the draft", "links": {
            "GetDraft": link("get", "/workflow-definitions/{id}/{version}",
                             id="$response.body#/id", version="draft"),
            "UpdateDraft": link("put", "/workflow-definitions/{id}/{version}",
                                id="$response.body#/id", version="draft"),
            "Publish": link("post", "/workflow-definitions/{id}/{version}/publish",
                            id="$response.body#/id", version="draft"),
        }},
        409: {"description": "the id is taken"},
    },
)  # fmt: skip
async def create_definition(
    ctx: ContextDep, who: Manager, body: DraftBody, response: Response
) -> DefinitionVersionPublic:
    workflow_id = id_from_body(body)
    async with ctx.tx() as conn:
        repo = DefinitionRepository(conn, who.tenant_id)
        if await repo.get(workflow_id) is not None:
            detail = f"definition {workflow_id} exists; update its draft with PUT .../draft"
            raise ProblemError(409, "CONFLICT", detail)
        record = await repo.save_draft(workflow_id, draft_document(body, workflow_id), ctx.clock())
        details = {"name": record.name, "draftHash": draft_hash(record.draft)}
        await audit(conn, who, "definition.create", workflow_id, at=ctx.clock(), details=details)
    response.headers["ETag"] = draft_etag(record.draft)
    return draft_public(record)


@router.get(
    "/{id}/{version}", summary="Get the draft (with its ETag) or a published version",
    responses={200: {"headers": ETAG_HEADERS}},
)  # fmt: skip
async def get_definition(
    ctx: ContextDep,
    who: Viewer,
    workflow_id: DefinitionIdPath,
    version: VersionPath,
    response: Response,
) -> DefinitionVersionPublic:
    wanted = parse_version(version)
    async with ctx.tx() as conn:
        repo = DefinitionRepository(conn, who.tenant_id)
        if wanted == DRAFT:
            draft = await repo.get(workflow_id)
            if draft is None:
                raise not_found("definition", workflow_id)
            response.headers["ETag"] = draft_etag(draft.draft)
            return draft_public(draft)
        published = await repo.get_version(workflow_id, int(wanted))
    if published is None:
        raise not_found("definition version", f"{workflow_id}/{wanted}")
    return version_public(published)


@router.put(
    "/{id}/{version}", summary="Update the draft (If-Match: refused when changed elsewhere)",
    responses={
        200: {"headers": ETAG_HEADERS},
        409: {"model": Problem, "description": "published versions are immutable"},
        412: {"model": Problem, "description": "the draft changed since the If-Match tag"},
    },
)  # fmt: skip
async def update_draft(
    ctx: ContextDep,
    who: Manager,
    workflow_id: DefinitionIdPath,
    version: VersionPath,
    body: DraftBody,
    response: Response,
    if_match: IfMatchHeader = None,
) -> DefinitionVersionPublic:
    if parse_version(version) != DRAFT:
        raise ProblemError(409, "VERSION_IMMUTABLE", "published versions are immutable")
    async with ctx.tx() as conn:
        repo = DefinitionRepository(conn, who.tenant_id)
        current = await repo.get(workflow_id, lock=True)
        if current is None:
            raise not_found("definition", workflow_id)
        if if_match is not None and not if_match_holds(if_match, draft_etag(current.draft)):
            detail = (
                f"the draft of {workflow_id} was changed elsewhere (last saved "
                f"{current.updated_at.isoformat()}) since you read it; reload it, "
                "merge your edits and save again"
            )
            raise ProblemError(412, "PRECONDITION_FAILED", detail)
        record = await repo.save_draft(workflow_id, draft_document(body, workflow_id), ctx.clock())
        details = {
            "name": record.name, "draftHash": draft_hash(record.draft),
            "changes": diff_steps(current.draft, record.draft).summary(),
        }  # fmt: skip
        await audit(conn, who, "definition.update", workflow_id, at=ctx.clock(), details=details)
    response.headers["ETag"] = draft_etag(record.draft)
    return draft_public(record)


@router.post(
    "/{id}/{version}/publish", summary="Validate and publish the draft",
    responses={409: {"model": Problem, "description": "the version number is not the next one"}},
)  # fmt: skip
async def publish_definition(
    ctx: ContextDep, who: Publisher, workflow_id: DefinitionIdPath, version: VersionPath
) -> PublishResult:
    wanted = parse_version(version)
    async with ctx.tx() as conn:
        return await publish_draft(
            conn, ctx.registry, who, workflow_id, expected=wanted, now=ctx.clock(),
            webhook_sealer=ctx.webhook_sealer,
        )  # fmt: skip


_PAUSE_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "ALREADY_PAUSED / NOT_PAUSED"}
}


@router.post(
    "/{id}/pause", summary="Pause: its triggers start no runs (events are held) until unpaused",
    responses=_PAUSE_CONFLICT,
)  # fmt: skip
async def pause_definition(
    ctx: ContextDep, who: Publisher, workflow_id: DefinitionIdPath, body: OperatorRequest
) -> PauseResult:
    async with ctx.tx() as conn:
        await pause_workflow(conn, who.tenant_id, workflow_id, reason=body.reason,
                             by=who.subject, now=ctx.clock())  # fmt: skip
        await audit(conn, who, "definition.pause", workflow_id, at=ctx.clock(),
                    reason=body.reason)  # fmt: skip
        record = await DefinitionRepository(conn, who.tenant_id).get(workflow_id)
    assert record is not None  # pause_workflow found it in this transaction
    return PauseResult(id=workflow_id, paused=pause_public(record))


@router.post(
    "/{id}/unpause",
    summary="Unpause: start the runs of the events held while paused, then run as before",
    responses=_PAUSE_CONFLICT,
)  # fmt: skip
async def unpause_definition(
    ctx: ContextDep, who: Publisher, workflow_id: DefinitionIdPath, body: OperatorRequest
) -> PauseResult:
    async with ctx.tx() as conn:
        released = await unpause_workflow(conn, ctx.engine, who.tenant_id, workflow_id)
        details = {"startedRuns": len(released.started_run_ids),
                   "startErrors": len(released.errors)}  # fmt: skip
        await audit(conn, who, "definition.unpause", workflow_id, at=ctx.clock(),
                    reason=body.reason, details=details)  # fmt: skip
    return PauseResult(
        id=workflow_id, started_run_ids=[uuid.UUID(r) for r in released.started_run_ids],
        start_errors=released.errors,
    )  # fmt: skip


StepPathQuery = Annotated[
    str,
    Query(
        alias="stepPath",
        # the grammar of workflow_core.definitions.paths.parse_path
        pattern=r"^root(\.((then|else|try|catch|body)\.)?steps\[[0-9]+\])*$",
        description="the step, as in publish errors",
        examples=["root.steps[1].try.steps[3]"],
    ),
]


@router.get(
    "/{id}/draft/scope", summary="What one step of the draft can read (its typed scope)",
    responses={422: {"model": Problem, "description": "stepPath is malformed, or no steps"}},
)  # fmt: skip
async def get_draft_scope(
    ctx: ContextDep, who: Viewer, workflow_id: DefinitionIdPath, step_path: StepPathQuery
) -> StepScopePublic:
    try:
        parse_path(step_path)
    except ValueError as error:
        raise ProblemError(
            422, "VALIDATION_FAILED", str(error),
            errors=[ProblemItem(pointer="/query/stepPath", message=str(error))],
        ) from None  # fmt: skip
    async with ctx.tx() as conn:
        draft = await DefinitionRepository(conn, who.tenant_id).get(workflow_id)
        if draft is None:
            raise not_found("definition", workflow_id)
        _, analysis = await analyse_document(
            conn, ctx.registry, who.tenant_id, draft.draft, pointer=""
        )
    scope = analysis.scope(step_path)
    if scope is None:
        raise not_found("step", f"{step_path} of the draft of {workflow_id}")
    return scope_public(scope)
