"""``/workflow/registry/...``: node types, actions, schemas and the expression allowlist."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from sluice_http import not_found, sluice_router
from workflow_core.expressions.allowlist import ALLOWED_FUNCTIONS
from workflow_core.expressions.rewrite import HELPER_NAMES

from sluice_api.deps import ContextDep, Viewer
from sluice_api.schemas.common import Page
from sluice_api.schemas.registry import ActionPublic, FunctionPublic, NodeTypePublic, SchemaPublic

router = sluice_router(prefix="/workflow/registry", tags=["registry"])


@router.get("/nodes", summary="Node types with config schemas and UI metadata")
async def list_node_types(ctx: ContextDep, _: Viewer) -> Page[NodeTypePublic]:
    items = [NodeTypePublic.model_validate(s.public()) for s in ctx.registry.node_types.all()]
    return Page(items=items)


@router.get("/actions", summary="Actions with input/output schemas and UI metadata")
async def list_actions(ctx: ContextDep, _: Viewer) -> Page[ActionPublic]:
    items = [ActionPublic.model_validate(s.public()) for s in ctx.registry.actions.all()]
    return Page(items=items)


@router.get("/schemas", summary="Registered schema refs with their JSON Schemas")
async def list_schemas(ctx: ContextDep, _: Viewer) -> Page[SchemaPublic]:
    schemas = ctx.registry.schemas
    items = [SchemaPublic(ref=ref, json_schema=schemas.get(ref) or {}) for ref in schemas.refs()]
    return Page(items=items)


@router.get("/schemas/{ref}", summary="One registered JSON Schema")
async def get_schema(
    ctx: ContextDep,
    _: Viewer,
    ref: Annotated[str, Path(examples=["payload.EmailWorkflowPayload.v1"])],
) -> SchemaPublic:
    schema = ctx.registry.schemas.get(ref)
    if schema is None:
        raise not_found("schema", ref)
    return SchemaPublic(ref=ref, json_schema=schema)


@router.get("/functions", summary="Functions expressions may call (the sandbox allowlist)")
async def list_functions(_: Viewer) -> Page[FunctionPublic]:
    items = [
        FunctionPublic(
            name=name,
            kind="helper" if name in HELPER_NAMES else "builtin",
            # SPEC 5: helpers are callable as name(...) or $name(...); built-ins as $name(...).
            call_as=[f"{name}()", f"${name}()"] if name in HELPER_NAMES else [f"${name}()"],
        )
        for name in sorted(ALLOWED_FUNCTIONS)
    ]
    return Page(items=items)
