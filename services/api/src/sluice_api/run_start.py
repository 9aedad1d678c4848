"""Starting a run: the version must exist and the payload must fit its schema
before the engine creates anything (SPEC 4: an invalid payload -> no run)."""

from __future__ import annotations

import asyncpg
from sluice_storage import DefinitionRepository, DefinitionVersionRecord
from workflow_core.json_schema import violations

from sluice_api.context import ApiContext
from sluice_api.engine import engine
from sluice_api.problems import ProblemError, not_found
from sluice_api.roles import Principal
from sluice_api.schemas.common import ProblemItem
from sluice_api.schemas.runs import RunCreate, RunPublic
from sluice_api.views import run_public


async def load_version(
    conn: asyncpg.Connection, tenant_id: str, body: RunCreate
) -> DefinitionVersionRecord:
    found = await DefinitionRepository(conn, tenant_id).get_version(body.workflow_id, body.version)
    if found is None:
        what = f"{body.workflow_id}/{body.version}" if body.version else str(body.workflow_id)
        raise not_found("published definition version", what)
    return found


def check_payload(version: DefinitionVersionRecord, payload: dict[str, object]) -> None:
    if version.payload_schema is None:
        return
    found = violations(version.payload_schema, payload)
    if found:
        items = [ProblemItem(pointer="/payload" + v.pointer, message=v.message) for v in found]
        detail = f"the payload does not match {version.definition.get('payloadSchemaRef')}"
        raise ProblemError(422, "INVALID_PAYLOAD", detail, errors=items)


async def start_run(
    ctx: ApiContext, conn: asyncpg.Connection, who: Principal, body: RunCreate
) -> RunPublic:
    version = await load_version(conn, who.tenant_id, body)
    check_payload(version, body.payload)
    run = await engine().start_run(
        conn, tenant_id=who.tenant_id, version=version, payload=body.payload, now=ctx.clock(),
        topics=ctx.topics,
    )  # fmt: skip
    return run_public(run)
