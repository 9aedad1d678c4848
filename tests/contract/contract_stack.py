"""Contract fixtures: the real API and ingest as subprocesses (``e2e_support``) on a
fresh database with a seeded tenant, an admin token, and one of each resource the
routes with ids need (a published definition, a run waiting on a human task)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from e2e_support.services import Services
from sluice_api.engine import build_registry
from sluice_config import Settings
from sluice_helpdesk.seeding import seed_tenant
from sluice_storage import TokenRepository, transaction

FORM = {"type": "object", "required": ["decision"],
        "properties": {"decision": {"enum": ["yes", "no"]}}}  # fmt: skip
ASKS = {"name": "contract", "steps": [
    {"id": "ask", "type": "human.task", "config": {
        "taskType": "review", "title": "Review", "formSchema": FORM, "saveAs": "vars.review"}},
    {"id": "done", "type": "state.set", "config": {"state": "REVIEWED"}}]}  # fmt: skip


@dataclass(frozen=True)
class Target:
    """What a contract run needs: where, who, and ids that exist."""

    api: str
    ingest: str
    token: str
    ids: dict[str, str]


async def _resources(api: str, token: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as client:
        draft = (await client.post("/workflow-definitions", json=ASKS)).json()
        await client.post(f"/workflow-definitions/{draft['id']}/draft/publish")
        run = (await client.post("/workflow-runs", json={"workflowId": draft["id"]})).json()
        tasks = (await client.get("/human-tasks", params={"runId": run["runId"]})).json()
    return {"id": draft["id"], "runId": run["runId"], "taskId": tasks["items"][0]["taskId"]}


@pytest.fixture(scope="module")
async def contract_target(
    services_factory: Services, e2e_pool: asyncpg.Pool
) -> AsyncIterator[Target]:
    tenant = f"contract-{uuid.uuid4().hex[:8]}"
    now = dt.datetime.now(dt.UTC)
    settings = Settings(database_url=services_factory.database_url, kafka_bootstrap_servers="-")
    async with transaction(e2e_pool) as conn:
        await seed_tenant(conn, tenant, build_registry(settings), now)
        issued = await TokenRepository(conn, tenant).create(
            subject="contract", role="workflow.admin", now=now, expires_at=None
        )
    await services_factory.start("api")
    await services_factory.start("ingest")
    api = f"http://127.0.0.1:{services_factory.ports['api']}"
    ingest = f"http://127.0.0.1:{services_factory.ports['ingest']}"
    ids = await _resources(api, issued.token)
    yield Target(api=api, ingest=ingest, token=issued.token, ids=ids)
    services_factory.stop_all()
