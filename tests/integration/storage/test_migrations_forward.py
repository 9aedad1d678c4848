"""Migrations walked forward one at a time from 0001, with data written at the versions
between them (issue 16): nothing written at an older version is lost or changed by a
later migration, and today's repositories read it.

At chosen versions the walk writes rows as the code of that time would have
(tenant and token at 0001, a definition and a run at 0002, history at 0003, a wait
and an event at 0004, an invocation and a task at 0005, an outbox row at 0006, a
help-desk ticket at 0008) and, at the schema of the newest release that left
upgrade fixtures, every row of those fixtures (real runs mid-flight). Each write is
read back at once; after the last migration every row must still be there with
every column it had (later migrations may add columns, never drop or rewrite).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from plugins.test_actions import ROWS_TABLE_SQL
from sluice_storage import DefinitionRepository, RunRepository, authenticate, create_pool, upgrade
from sluice_storage.migrations import load_migrations
from sluice_storage.tokens import hash_token
from upgrade_support.fixture_files import read_fixtures, releases
from upgrade_support.persisted import capture_rows, load_rows

pytestmark = pytest.mark.integration
FreshDatabase = Callable[[], Awaitable[str]]
TENANT = "forward-walk"
WORKFLOW, RUN, WAIT, TASK = (uuid.UUID(int=n) for n in (1, 2, 3, 4))
TOKEN = "slc_forward-walk"
TOKEN_HASH = hash_token(TOKEN)
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
DEFINITION = {"name": "walk", "steps": [{"id": "s", "type": "state.set",
              "config": {"state": "WALKED"}}]}  # fmt: skip

# version -> statements run right after that migration ($1 tenant, $2 the fixed instant)
SEEDS: dict[int, list[str]] = {
    1: [
        "INSERT INTO tenants (tenant_id, created_at) VALUES ($1, $2)",
        f"""INSERT INTO api_tokens (tenant_id, token_id, subject, role, token_hash, created_at)
            VALUES ($1, '{uuid.UUID(int=9)}', 'walker', 'workflow.admin', '{TOKEN_HASH}', $2)""",
        f"""INSERT INTO token_routes (token_hash, tenant_id, token_id)
            VALUES ('{TOKEN_HASH}', $1, '{uuid.UUID(int=9)}')""",
    ],
    2: [
        f"""INSERT INTO workflow_definitions (tenant_id, workflow_id, name, draft, latest_version,
              created_at, updated_at) VALUES ($1, '{WORKFLOW}', 'walk', '{json.dumps(DEFINITION)}',
              1, $2, $2)""",
        f"""INSERT INTO workflow_definition_versions (tenant_id, workflow_id, version, name,
              definition, published_at, published_by)
            VALUES ($1, '{WORKFLOW}', 1, 'walk', '{json.dumps(DEFINITION)}', $2, 'walker')""",
        f"""INSERT INTO workflow_runs (tenant_id, run_id, workflow_id, workflow_version, status,
              node_path, payload, started_at, updated_at, last_progress_at, seq)
            VALUES ($1, '{RUN}', '{WORKFLOW}', 1, 'WAITING', 'root.steps[0]', '{{"k": 1}}',
              $2, $2, $2, 3)""",
        f"""INSERT INTO applied_commands (tenant_id, run_id, command_id, applied_at)
            VALUES ($1, '{RUN}', '{uuid.UUID(int=5)}', $2)""",
    ],
    3: [
        f"""INSERT INTO run_steps (tenant_id, run_id, attempt_id, step_id, node_path, attempt,
              status, started_at) VALUES ($1, '{RUN}', 's#0#1', 's', 'root.steps[0]', 1,
              'STARTED', $2)""",
    ],
    4: [
        f"""INSERT INTO run_waits (tenant_id, wait_id, run_id, kind, step_id, event_name,
              correlation_key, created_at) VALUES ($1, '{WAIT}', '{RUN}', 'event', 's', 'GO',
              'k-1', $2)""",
        f"""INSERT INTO events (tenant_id, event_id, event_name, correlation_key, payload,
              received_at) VALUES ($1, '{uuid.UUID(int=6)}', 'OTHER', 'k-2', '{{"x": 2}}', $2)""",
    ],
    5: [
        f"""INSERT INTO action_invocations (tenant_id, invocation_id, action_id, action_version,
              idempotency_key, run_id, step_id, status, started_at, output)
            VALUES ($1, '{uuid.UUID(int=7)}', 'test.record', 1, 'walk-key', '{RUN}', 's',
              'SUCCEEDED', $2, '{{"ok": true}}')""",
        f"""INSERT INTO human_tasks (tenant_id, task_id, run_id, wait_id, task_type, title,
              created_at, updated_at) VALUES ($1, '{TASK}', '{RUN}', '{WAIT}', 'review', 'Walk',
              $2, $2)""",
    ],
    6: [
        """INSERT INTO outbox (tenant_id, topic, key, payload, created_at)
           VALUES ($1, 'wf.run-commands', 'k', '{"v": 1}', $2)""",
        """INSERT INTO audit_log (tenant_id, at, subject, action)
           VALUES ($1, $2, 'walker', 'walk.started')""",
    ],
    8: [
        f"""INSERT INTO helpdesk_clients (tenant_id, client_id, name, created_at)
            VALUES ($1, '{uuid.UUID(int=10)}', 'Walkers Ltd', $2)""",
        f"""INSERT INTO helpdesk_contacts (tenant_id, contact_id, client_id, email, created_at)
            VALUES ($1, '{uuid.UUID(int=11)}', '{uuid.UUID(int=10)}', 'w@example.com', $2)""",
        f"""INSERT INTO helpdesk_tickets (tenant_id, ticket_id, ticket_number, title, client_id,
              contact_id, created_at, updated_at) VALUES ($1, '{uuid.UUID(int=12)}', 'TIC-1',
              'Walking', '{uuid.UUID(int=10)}', '{uuid.UUID(int=11)}', $2, $2)""",
    ],
}


def _missing(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    """Rows of ``before`` with no row in ``after`` agreeing on every column they had."""
    lost = []
    for table, rows in before.items():
        for row in rows:
            if not any(all(other.get(c) == v for c, v in row.items())
                       for other in after.get(table, [])):  # fmt: skip
                lost.append(f"{table}: {row}")
    return lost


async def _seed(conn: asyncpg.Connection, version: int) -> None:
    for statement in SEEDS.get(version, []):
        await conn.execute(statement, *((TENANT, AT) if "$2" in statement else (TENANT,)))


async def test_migrations_walked_one_by_one_keep_every_row(fresh_database: FreshDatabase) -> None:
    dsn = await fresh_database()
    latest = releases()[-1] if releases() else None
    fixtures = read_fixtures(latest, "wf.") if latest else []
    fixture_schema = fixtures[0]["schemaVersion"] if fixtures else None
    written: dict[str, dict[str, list[Any]]] = {}  # tenant -> rows as written
    conn = await asyncpg.connect(dsn)
    try:
        for migration in load_migrations():
            applied = await upgrade(dsn, until=migration.version)
            assert [m.version for m in applied] == [migration.version]
            async with conn.transaction():
                await _seed(conn, migration.version)
                if migration.version == fixture_schema:
                    await conn.execute(ROWS_TABLE_SQL)  # the test plugin's, in the fixtures
                    for fixture in fixtures:
                        await load_rows(conn, fixture["rows"])
            for tenant in {TENANT, *(f["tenant"] for f in fixtures)}:
                now = await capture_rows(conn, tenant)
                assert not _missing(written.get(tenant, {}), now), migration.label
                written[tenant] = now
        for tenant, rows in written.items():
            assert not _missing(rows, await capture_rows(conn, tenant))
        seeded = sum(len(r) for r in written[TENANT].values())
        assert seeded == sum(len(s) for s in SEEDS.values())
        print(
            f"walked {len(load_migrations())} migrations; {seeded} seeded rows and "
            f"{sum(len(r) for t, rs in written.items() if t != TENANT for r in rs.values())} "
            f"fixture rows ({latest}, at {fixture_schema}) all kept"
        )
    finally:
        await conn.close()
    await _read_with_todays_code(dsn)


async def _read_with_todays_code(dsn: str) -> None:
    """What 0001-0008 wrote, read through today's repositories."""
    pool = await create_pool(dsn, max_size=2)
    try:
        async with pool.acquire() as conn:
            run = await RunRepository(conn, TENANT).get(RUN)
            assert run is not None
            assert (run.status, run.payload) == ("WAITING", {"k": 1})
            version = await DefinitionRepository(conn, TENANT).get_version(WORKFLOW, 1)
            assert version is not None
            assert version.definition == DEFINITION
            assert (await authenticate(conn, TOKEN, datetime.now(UTC))) is not None
    finally:
        await pool.close()
