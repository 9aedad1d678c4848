"""Starting a run through the engine: the engine checks that the version exists
and that the payload fits its schema before anything is written (SPEC 4)."""

from __future__ import annotations

import uuid

import asyncpg
from sluice_engine import StartOptions, start_run
from sluice_engine.pausing import refuse_if_paused
from sluice_http import not_found
from sluice_storage import RunRecord, RunRepository

from sluice_api.context import ApiContext
from sluice_api.roles import Principal
from sluice_api.schemas.runs import RunCreate


async def start(
    ctx: ApiContext, conn: asyncpg.Connection, who: Principal, body: RunCreate
) -> RunRecord:
    await refuse_if_paused(conn, who.tenant_id, str(body.workflow_id))
    applied = await start_run(
        conn, ctx.engine, who.tenant_id, str(body.workflow_id), body.payload,
        StartOptions(version=body.version),
    )  # fmt: skip
    return await load_run(conn, who.tenant_id, uuid.UUID(applied.run_id))


async def load_run(conn: asyncpg.Connection, tenant_id: str, run_id: uuid.UUID) -> RunRecord:
    run = await RunRepository(conn, tenant_id).get(run_id)
    if run is None:
        raise not_found("run", run_id)
    return run
