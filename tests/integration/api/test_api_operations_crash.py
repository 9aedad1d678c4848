"""An operation's worker killed mid-operation (kill -9 of its API process): another
worker takes the operation over when the lease runs out and completes it, and every
run is touched exactly once (issue 19's "resumable after a crash").

The operation is the console's ``POST /workflow-runs/bulk`` (replay, 100 runs): it is
created leased to the request that works it, so the process killed is certainly the
one working it (a 202 operation could be claimed first by another replica, such as
the test app's own worker). Replay is the strictest control to count: a run replayed
twice would leave two new runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from sluice_devstack.ports import free_port
from workflows import publish, start, state_only

pytestmark = pytest.mark.integration
RUNS = 100
# 5 runs a batch, 0.2 s apart: ~5 s for the operation; a 20 s lease, renewed every
# batch, so however loaded the machine the killed process holds it until it dies.
WORKER = {
    "WF_OPERATION_BATCH": "5", "WF_OPERATION_PAUSE_S": "0.2", "WF_OPERATION_LEASE_S": "20",
}  # fmt: skip


@contextlib.contextmanager
def api_process(database_url: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = {**os.environ, **WORKER, "WF_DATABASE_URL": database_url, "WF_API_PORT": str(port),
           "WF_KAFKA_BOOTSTRAP_SERVERS": "-", "WF_LOG_LEVEL": "WARNING"}  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "sluice_api"], env=env)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


async def until_up(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(1800):  # a Python start-up takes 90 s on this machine under load
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"the API at {base} did not come up within 180 s")


async def progress(pool: asyncpg.Pool, tenant_id: str) -> asyncpg.Record | None:
    return await pool.fetchrow(
        "SELECT operation_id, status, done, total, lease_owner FROM operations "
        "WHERE tenant_id = $1 AND kind = 'bulk'", tenant_id,
    )  # fmt: skip


@pytest.mark.timeout(900)
async def test_killed_worker_mid_operation_is_taken_over_and_every_run_touched_once(
    admin: httpx.AsyncClient, token_factory: object, pool: asyncpg.Pool, tenant_id: str,
    migrated_database_url: str,
) -> None:  # fmt: skip
    workflow = await publish(admin, state_only())
    runs = [(await start(admin, workflow, {"n": n}))["runId"] for n in range(RUNS)]
    token = await token_factory()  # type: ignore[operator]
    body = {"action": "replay", "reason": "crash test", "runIds": runs}
    with api_process(migrated_database_url) as (doomed, base):
        await until_up(base)
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:
            request = asyncio.create_task(client.post(f"{base}/workflow-runs/bulk", json=body))
            row = None
            deadline = asyncio.get_running_loop().time() + 180
            while asyncio.get_running_loop().time() < deadline:
                row = await progress(pool, tenant_id)
                if row is not None and row["done"] >= 10:
                    break
                await asyncio.sleep(0.02)
            assert row is not None, "the operation was not created"
            owner = row["lease_owner"]  # the killed process: its request, or its worker
            assert owner.startswith("request:") or f":{doomed.pid}:" in owner, row
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=30)
            with pytest.raises(httpx.TransportError):
                await request
    killed_at = await progress(pool, tenant_id)
    assert killed_at is not None
    assert 10 <= killed_at["done"] < RUNS, killed_at
    assert killed_at["status"] == "RUNNING"

    with api_process(migrated_database_url) as (_, base):  # a fresh replica takes over
        await until_up(base)
        deadline = asyncio.get_running_loop().time() + 300
        while asyncio.get_running_loop().time() < deadline:
            row = await progress(pool, tenant_id)
            if row is not None and row["status"] == "COMPLETED":
                break
            await asyncio.sleep(0.05)
    assert row is not None
    assert (row["status"], row["done"], row["total"]) == ("COMPLETED", RUNS, RUNS), row
    replays = await pool.fetch(
        """SELECT run_state->'envelope'->'meta'->'tags'->>'replayOf' AS of, count(*) AS n
           FROM workflow_runs WHERE tenant_id = $1 AND workflow_id = $2
             AND run_state->'envelope'->'meta'->'tags' ? 'replayOf' GROUP BY 1""",
        tenant_id, uuid.UUID(workflow),
    )  # fmt: skip
    assert {r["of"]: r["n"] for r in replays} == dict.fromkeys(runs, 1)
    audited = await pool.fetch(
        """SELECT target, count(*) AS n FROM audit_log
           WHERE tenant_id = $1 AND action = 'run.replay' GROUP BY target""",
        tenant_id,
    )  # fmt: skip
    assert {r["target"]: r["n"] for r in audited} == dict.fromkeys(runs, 1)
    items = await pool.fetchval(
        "SELECT count(*) FROM operation_items WHERE tenant_id = $1 AND done AND ok", tenant_id
    )
    assert items == RUNS
