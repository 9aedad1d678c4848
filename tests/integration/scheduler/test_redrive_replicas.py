"""Two schedulers re-driving at once send an idle run one ``Continue``, not two.

The Continue's id folds in the minute (``timers.redrive_stale_runs``), so two
replicas in the same minute produce one command; but replicas whose clocks
straddle a minute boundary made two different ids, both applied, until
``find_stale_runs`` locked what it found (``FOR UPDATE SKIP LOCKED``). On a
database of its own: the re-drive scan is cross-tenant.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sluice_engine.timers import redrive_stale_runs
from sluice_messaging.topics import Topics
from sluice_storage import connect, upgrade

pytestmark = pytest.mark.integration
FreshDatabase = Callable[[], Awaitable[str]]

TOPICS = Topics.from_prefix("redrive.")
AFTER = timedelta(minutes=5)
IDLE_SINCE = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
JUST_BEFORE = datetime(2026, 3, 1, 12, 0, 59, 900_000, tzinfo=UTC)  # scheduler A's clock
JUST_AFTER = datetime(2026, 3, 1, 12, 1, 0, 100_000, tzinfo=UTC)  # scheduler B's, 0.2 s later


async def _idle_run(conn: asyncpg.Connection) -> uuid.UUID:
    run_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO workflow_runs (tenant_id, run_id, workflow_id, workflow_version, status,
               started_at, updated_at, last_progress_at)
           VALUES ('t1', $1, $2, 1, 'RUNNING', $3, $3, $3)""",
        run_id, uuid.uuid4(), IDLE_SINCE,
    )  # fmt: skip
    return run_id


async def _continues(conn: asyncpg.Connection, run_id: uuid.UUID) -> list[str]:
    rows = await conn.fetch(
        """SELECT payload->'body'->>'commandId' AS id FROM outbox
           WHERE tenant_id = 't1' AND key = $1 AND payload->'body'->>'type' = 'Continue'""",
        str(run_id),
    )
    return [r["id"] for r in rows]


async def test_two_schedulers_across_a_minute_send_one_continue(
    fresh_database: FreshDatabase,
) -> None:
    dsn = await fresh_database()
    await upgrade(dsn)
    a, b = await connect(dsn), await connect(dsn)
    try:
        run_id = await _idle_run(a)
        ta = a.transaction()
        await ta.start()
        assert await redrive_stale_runs(a, TOPICS, JUST_BEFORE, AFTER) == 1
        # B scans while A's re-drive is not committed yet: it must pass the run over
        # (before the fix it sent a second Continue, the minute's bucket being new).
        async with b.transaction():
            second = asyncio.ensure_future(redrive_stale_runs(b, TOPICS, JUST_AFTER, AFTER))
            await asyncio.sleep(0.3)  # B blocked on A's row (the bug) or already done
            await ta.commit()
            assert await asyncio.wait_for(second, 10) == 0
        # After A's commit the run's idle clock restarted: not idle again for AFTER.
        async with b.transaction():
            assert await redrive_stale_runs(b, TOPICS, JUST_AFTER, AFTER) == 0
        assert len(await _continues(a, run_id)) == 1
        progress = await a.fetchval(
            "SELECT last_progress_at FROM workflow_runs WHERE tenant_id = 't1' AND run_id = $1",
            run_id,
        )
        assert progress == JUST_BEFORE
        # One idle period later it is re-driven again, once.
        async with a.transaction():
            assert await redrive_stale_runs(a, TOPICS, JUST_BEFORE + AFTER * 2, AFTER) == 1
        assert len(await _continues(a, run_id)) == 2
    finally:
        await a.close()
        await b.close()
