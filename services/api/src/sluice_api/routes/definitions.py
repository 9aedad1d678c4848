"""``/workflow-definitions``: drafts (any JSON object), versions, publish."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from sluice_storage import DefinitionRecord, DefinitionRepository, DefinitionVersionRecord

from sluice_api.deps import (
    ContextDep,
    CursorQuery,
    DefinitionIdPath,
    LimitQuery,
    Manager,
    Publisher,
    Viewer,
)
from sluice_api.problems import ProblemError, not_found
from sluice_api.publishing import publish_draft
from sluice_api.schemas.common import Page, Problem
from sluice_api.schemas.definitions import (
    DefinitionPublic,
    DefinitionVersionPublic,
    PublishResult,
)

router = APIRouter(prefix="/workflow-definitions", tags=["definitions"])
DRAFT = "draft"
VersionPath = Annotated[str, Path(description='"draft" or a published version number')]
DraftBody = Annotated[
    dict[str, Any], Body(description="the SPEC 3 document; checked only when publishing")
]


def parse_version(raw: str) -> str | int:
    if raw == DRAFT:
        return DRAFT
    if raw.isdigit() and int(raw) >= 1:
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


def summary_public(record: DefinitionRecord) -> DefinitionPublic:
    return DefinitionPublic(
        id=record.workflow_id, name=record.name, latest_version=record.latest_version,
        trigger_event=record.latest_trigger_event, created_at=record.created_at,
        updated_at=record.updated_at,
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
    responses={409: {"model": Problem, "description": "the id is taken"}},
)  # fmt: skip
async def create_definition(
    ctx: ContextDep, who: Manager, body: DraftBody
) -> DefinitionVersionPublic:
    workflow_id = id_from_body(body)
    async with ctx.tx() as conn:
        repo = DefinitionRepository(conn, who.tenant_id)
        if await repo.get(workflow_id) is not None:
            detail = f"definition {workflow_id} exists; update its draft with PUT .../draft"
            raise ProblemError(409, "CONFLICT", detail)
        record = await repo.save_draft(workflow_id, draft_document(body, workflow_id), ctx.clock())
    return draft_public(record)


@router.get("/{id}/{version}", summary="Get the draft or a published version")
async def get_definition(
    ctx: ContextDep, who: Viewer, workflow_id: DefinitionIdPath, version: VersionPath
) -> DefinitionVersionPublic:
    wanted = parse_version(version)
    async with ctx.tx() as conn:
        repo = DefinitionRepository(conn, who.tenant_id)
        if wanted == DRAFT:
            draft = await repo.get(workflow_id)
            if draft is None:
                raise not_found("definition", workflow_id)
            return draft_public(draft)
        published = await repo.get_version(workflow_id, int(wanted))
    if published is None:
        raise not_found("definition version", f"{workflow_id}/{wanted}")
    return version_public(published)


@router.put(
    "/{id}/{version}", summary="Update the draft",
    responses={409: {"model": Problem, "description": "published versions are immutable"}},
)  # fmt: skip
async def update_draft(
    ctx: ContextDep,
    who: Manager,
    workflow_id: DefinitionIdPath,
    version: VersionPath,
    body: DraftBody,
) -> DefinitionVersionPublic:
    if parse_version(version) != DRAFT:
        raise ProblemError(409, "VERSION_IMMUTABLE", "published versions are immutable")
    async with ctx.tx() as conn:
        repo = DefinitionRepository(conn, who.tenant_id)
        if await repo.get(workflow_id, lock=True) is None:
            raise not_found("definition", workflow_id)
        record = await repo.save_draft(workflow_id, draft_document(body, workflow_id), ctx.clock())
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
            conn, ctx.registry, who, workflow_id, expected=wanted, now=ctx.clock()
        )
