"""Retention purge on the real PostgreSQL: final runs past their days go with their
history, open runs, held runs and younger runs stay; events still buffered for a wait
stay; policies per tenant and per workflow; one audit entry per purge; audit untouched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sluice_storage import transaction
from sluice_storage.operations import ItemOutcome, NewOperation, OperationRepository
from sluice_storage.retention import (
    PurgeSettings,
    RetentionPolicy,
    RetentionRepository,
    purge_expired,
    purge_tenant,
)
from sluice_storage.tenancy import ensure_tenant

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
HISTORY = (
    "run_steps",
    "run_snapshots",
    "run_logs",
    "run_events",
    "run_waits",
    "action_invocations",
)


async def _run(
    conn: asyncpg.Connection, tenant: str, *, days_ago: float | None, status: str = "SUCCEEDED",
    workflow_id: uuid.UUID | None = None,
) -> uuid.UUID:  # fmt: skip
    """A run (final ``days_ago`` days ago, or open when None) with one row of each history."""
    run_id, at = uuid.uuid4(), NOW - timedelta(days=days_ago or 0)
    await conn.execute(
        """INSERT INTO workflow_runs (tenant_id, run_id, workflow_id, workflow_version, status,
             started_at, updated_at, completed_at, last_progress_at)
           VALUES ($1, $2, $3, 1, $4, $5, $5, $6, $5)""",
        tenant, run_id, workflow_id or uuid.uuid4(), status, at,
        at if days_ago is not None else None,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO run_steps (tenant_id, run_id, attempt_id, step_id, node_path, attempt,
             status, started_at) VALUES ($1, $2, 'a1', 's', 'root.steps[0]', 1, 'SUCCEEDED', $3)""",
        tenant, run_id, at,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO run_snapshots (tenant_id, run_id, node_path, at, envelope)
           VALUES ($1, $2, 'root', $3, '{}')""",
        tenant, run_id, at,
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO run_logs (tenant_id, run_id, at, message) VALUES ($1, $2, $3, 'hi')",
        tenant, run_id, at,
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO run_events (tenant_id, run_id, at, type) VALUES ($1, $2, $3, 'STEP_STARTED')",
        tenant, run_id, at,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO run_waits (tenant_id, wait_id, run_id, kind, status, created_at)
           VALUES ($1, $2, $3, 'timer', 'FIRED', $4)""",
        tenant, uuid.uuid4(), run_id, at,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO action_invocations (tenant_id, invocation_id, action_id, action_version,
             idempotency_key, run_id, status, started_at)
           VALUES ($1, $2, 'a', 1, $3, $4, 'SUCCEEDED', $5)""",
        tenant, uuid.uuid4(), str(uuid.uuid4()), run_id, at,
    )  # fmt: skip
    return run_id


async def _rows(pool: asyncpg.Pool, tenant: str, run_id: uuid.UUID) -> dict[str, int]:
    return {
        table: await pool.fetchval(
            f"SELECT count(*) FROM {table} WHERE tenant_id = $1 AND run_id = $2", tenant, run_id
        )
        for table in ("workflow_runs", *HISTORY)
    }


@pytest.fixture
async def tenant(pool: asyncpg.Pool, tenant_id: str) -> str:
    async with transaction(pool) as conn:
        await ensure_tenant(conn, tenant_id)
    return tenant_id


async def test_only_final_unheld_runs_past_their_days_go_with_all_their_history(
    pool: asyncpg.Pool, tenant: str
) -> None:
    async with transaction(pool) as conn:
        old = await _run(conn, tenant, days_ago=31)
        old_failed = await _run(conn, tenant, days_ago=45, status="FAILED")
        young = await _run(conn, tenant, days_ago=29)
        still_open = await _run(conn, tenant, days_ago=None, status="WAITING")
        held = await _run(conn, tenant, days_ago=400)
        await RetentionRepository(conn, tenant).place_hold(held, now=NOW, by="ada", reason="case 7")
    counts = await purge_tenant(pool, tenant, NOW, PurgeSettings(batch=1, pause_s=0))
    assert counts.runs == 2
    for gone in (old, old_failed):
        assert set((await _rows(pool, tenant, gone)).values()) == {0}
    for kept in (young, still_open, held):
        assert set((await _rows(pool, tenant, kept)).values()) == {1}


async def test_policies_per_workflow_then_tenant_then_default(
    pool: asyncpg.Pool, tenant: str
) -> None:
    keep_long, short = uuid.uuid4(), uuid.uuid4()
    async with transaction(pool) as conn:
        repo = RetentionRepository(conn, tenant)
        await repo.put_policy(RetentionPolicy("*", 10, 10, 10), now=NOW, by="ada")
        await repo.put_policy(RetentionPolicy(str(keep_long), 90, 10, 10), now=NOW, by="ada")
        await repo.put_policy(RetentionPolicy(str(short), 2, 10, 10), now=NOW, by="ada")
        kept_by_workflow = await _run(conn, tenant, days_ago=60, workflow_id=keep_long)
        purged_by_tenant = await _run(conn, tenant, days_ago=11)
        kept_by_tenant = await _run(conn, tenant, days_ago=9)
        purged_by_workflow = await _run(conn, tenant, days_ago=3, workflow_id=short)
    counts = await purge_tenant(pool, tenant, NOW, PurgeSettings(pause_s=0))
    assert counts.runs == 2
    assert counts.by_workflow[str(short)] == 1
    assert (await _rows(pool, tenant, kept_by_workflow))["workflow_runs"] == 1
    assert (await _rows(pool, tenant, kept_by_tenant))["workflow_runs"] == 1
    assert (await _rows(pool, tenant, purged_by_tenant))["workflow_runs"] == 0
    assert (await _rows(pool, tenant, purged_by_workflow))["workflow_runs"] == 0


async def test_events_still_buffered_stay_and_dead_letters_age_out(
    pool: asyncpg.Pool, tenant: str
) -> None:
    async with transaction(pool) as conn:
        events = (("old", 40, None), ("buffered", 40, 5), ("expired", 40, -1), ("young", 1, None))
        for name, days_ago, expires_in_days in events:
            await conn.execute(
                """INSERT INTO events (tenant_id, event_id, event_name, correlation_key,
                     received_at, expires_at) VALUES ($1, $2, $3, 'k', $4, $5)""",
                tenant, uuid.uuid4(), name, NOW - timedelta(days=days_ago),
                NOW + timedelta(days=expires_in_days) if expires_in_days is not None else None,
            )  # fmt: skip
        for days_ago in (40, 1):
            await conn.execute(
                """INSERT INTO dead_letters (tenant_id, id, topic, "partition", "offset", reason,
                     created_at) VALUES ($1, $2, 'wf.events', 0, $3, 'bad', $4)""",
                tenant, uuid.uuid4(), days_ago, NOW - timedelta(days=days_ago),
            )  # fmt: skip
    counts = await purge_tenant(pool, tenant, NOW, PurgeSettings(pause_s=0))
    assert (counts.events, counts.dead_letters) == (2, 1)
    left = await pool.fetch("SELECT event_name FROM events WHERE tenant_id = $1", tenant)
    assert sorted(r["event_name"] for r in left) == ["buffered", "young"]


async def test_a_purge_is_audited_once_and_never_touches_the_audit_log(
    pool: asyncpg.Pool, tenant: str
) -> None:
    async with transaction(pool) as conn:
        for _ in range(5):
            await _run(conn, tenant, days_ago=100)
        await conn.execute(
            """INSERT INTO audit_log (tenant_id, at, subject, action)
               VALUES ($1, $2, 'ada', 'definition.create')""",
            tenant, NOW - timedelta(days=3650),
        )  # fmt: skip
    purged = await purge_expired(pool, NOW, PurgeSettings(batch=2, pause_s=0))
    assert purged[tenant].runs == 5  # three batches of at most two
    entries = await pool.fetch(
        "SELECT action, subject, details FROM audit_log WHERE tenant_id = $1 ORDER BY id", tenant
    )
    assert [e["action"] for e in entries] == ["definition.create", "retention.purge"]
    assert entries[1]["subject"] == "retention"
    assert entries[1]["details"]["runs"] == 5
    again = await purge_expired(pool, NOW, PurgeSettings(pause_s=0))
    assert tenant not in again  # nothing left: no second entry


async def test_finished_operations_past_the_runs_days_go_with_their_lines(
    pool: asyncpg.Pool, tenant: str
) -> None:
    async with transaction(pool) as conn:
        repo = OperationRepository(conn, tenant)
        made = {}
        for name, days_ago, finish in (("old", 40, True), ("young", 1, True), ("open", 40, False)):
            new = NewOperation("export", "export", "ada", "workflow.view", None, {})
            at = NOW - timedelta(days=days_ago)
            operation = await repo.create_for_runs(new, [uuid.uuid4(), uuid.uuid4()], now=at)
            made[name] = operation.operation_id
            if finish:
                for item in await repo.pending_items(operation.operation_id, 10):
                    locked = await repo.lock_item(operation.operation_id, item.seq)
                    assert locked is not None
                    await repo.finish_item(locked, ItemOutcome(ok=True, document={"x": 1}), now=at)
                assert await repo.complete(operation.operation_id, now=at)
    counts = await purge_tenant(pool, tenant, NOW, PurgeSettings(batch=1, pause_s=0))
    assert counts.operations == 1
    left = await pool.fetch(
        "SELECT operation_id, count(*) AS n FROM operation_items WHERE tenant_id = $1 GROUP BY 1",
        tenant,
    )  # fmt: skip
    assert {r["operation_id"]: r["n"] for r in left} == {made["young"]: 2, made["open"]: 2}
    kept = await pool.fetch("SELECT operation_id FROM operations WHERE tenant_id = $1", tenant)
    assert {r["operation_id"] for r in kept} == {made["young"], made["open"]}
