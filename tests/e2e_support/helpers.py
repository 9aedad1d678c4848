"""Helpers shared by e2e and chaos tests: definitions, starting runs, waiting for them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from plugins.test_actions import ROWS_TABLE_SQL, register
from sluice_engine import ActionHandlers, EngineContext, StartOptions, start_run
from sluice_messaging.topics import Topics
from sluice_storage import DefinitionRepository, transaction
from workflow_core.registry import create_registry

from e2e_support.services import Services, wait_for

FINAL = ("SUCCEEDED", "FAILED", "CANCELED")


def engine_for(topics: Topics) -> EngineContext:
    """The engine as the API would hold it (same plugin, same topics)."""
    registry = create_registry()
    register(registry, ActionHandlers())
    return EngineContext(registry=registry.freeze(), topics=topics)


async def prepare(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(ROWS_TABLE_SQL)


async def publish(pool: asyncpg.Pool, tenant_id: str, document: dict[str, Any]) -> str:
    workflow_id, now = uuid.uuid4(), datetime.now(UTC)
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant_id)
        await repo.save_draft(workflow_id, document, now)
        await repo.publish(workflow_id, document, payload_schema=None, published_by="e2e", now=now)
    return str(workflow_id)


async def start(
    pool: asyncpg.Pool, engine: EngineContext, tenant_id: str, workflow_id: str,
    payload: dict[str, Any], **options: Any,
) -> str:  # fmt: skip
    async with transaction(pool) as conn:
        applied = await start_run(
            conn, engine, tenant_id, workflow_id, payload, StartOptions(**options)
        )
    return applied.run_id


async def run_row(pool: asyncpg.Pool, tenant_id: str, run_id: str) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM workflow_runs WHERE tenant_id = $1 AND run_id = $2",
            tenant_id,
            uuid.UUID(run_id),
        )
    assert row is not None
    return row


async def wait_status(
    pool: asyncpg.Pool, tenant_id: str, run_id: str, statuses: tuple[str, ...],
    services: Services, timeout_s: float = 30.0,
) -> asyncpg.Record:  # fmt: skip
    async def check() -> asyncpg.Record | None:
        row = await run_row(pool, tenant_id, run_id)
        return row if row["status"] in statuses else None

    found: asyncpg.Record = await wait_for(
        check, timeout_s, f"run {run_id} in {statuses}", services
    )
    return found
