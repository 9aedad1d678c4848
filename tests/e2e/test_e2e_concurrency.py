"""Concurrency limits through the real services: the API, two interpreter processes in
one consumer group, the scheduler, Kafka and PostgreSQL (issue 19's flow control).

"At most N in flight per key" is measured by the database itself: a trigger on
``workflow_runs`` (installed in this module's own database) records, every time a run
of a limited workflow is written RUNNING or WAITING, how many runs of its key are in
flight as that transaction sees them; the slot accounting takes the key's lock before
anything enters flight, so that count is the true one. Arrival order is checked one
release at a time with a limit of 1.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from e2e_support.helpers import FINAL
from e2e_support.services import Services, wait_for
from e2e_support.underload import admin_token, api

# Four services start with the first test (about a minute on a loaded machine).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
TENANT = f"t-{uuid.uuid4().hex[:10]}"

PEAKS_SQL = """
CREATE TABLE flight_peaks (workflow_id uuid, key text, peak int, PRIMARY KEY (workflow_id, key));
CREATE FUNCTION note_flight() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.concurrency_key IS NOT NULL AND NEW.status IN ('RUNNING', 'WAITING') THEN
    INSERT INTO flight_peaks SELECT NEW.workflow_id, NEW.concurrency_key, count(*)
      FROM workflow_runs WHERE tenant_id = NEW.tenant_id AND workflow_id = NEW.workflow_id
        AND concurrency_key = NEW.concurrency_key AND status IN ('RUNNING', 'WAITING')
    ON CONFLICT (workflow_id, key) DO UPDATE
      SET peak = greatest(flight_peaks.peak, EXCLUDED.peak);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER note_flight AFTER INSERT OR UPDATE ON workflow_runs
  FOR EACH ROW EXECUTE FUNCTION note_flight();
"""


@pytest.fixture(scope="module")
async def running(services_factory: Services, e2e_pool: asyncpg.Pool) -> AsyncIterator[Services]:
    async with e2e_pool.acquire() as conn:
        await conn.execute(PEAKS_SQL)
    # the scheduler fires the delay timers
    names = ("api", "interpreter", "interpreter2", "scheduler")
    await asyncio.gather(*(services_factory.start(name, timeout_s=120) for name in names))
    yield services_factory
    services_factory.stop_all()


@asynccontextmanager
async def api_client(services: Services, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    async with api(services, await admin_token(pool, TENANT)) as client:
        yield client


async def publish(api: httpx.AsyncClient, document: dict[str, Any]) -> str:
    created = await api.post("/workflow-definitions", json=document)
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    published = await api.post(f"/workflow-definitions/{workflow_id}/draft/publish")
    assert published.json()["ok"], published.text
    return workflow_id


async def start(api: httpx.AsyncClient, workflow_id: str, payload: dict[str, Any]) -> str:
    response = await api.post("/workflow-runs", json={"workflowId": workflow_id,
                                                      "payload": payload})  # fmt: skip
    assert response.status_code == 201, response.text
    run_id: str = response.json()["runId"]
    return run_id


async def statuses(pool: asyncpg.Pool, workflow_id: str) -> dict[str, str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT run_id, status FROM workflow_runs WHERE workflow_id = $1",
                                uuid.UUID(workflow_id))  # fmt: skip
    return {str(r["run_id"]): r["status"] for r in rows}


async def peaks(pool: asyncpg.Pool, workflow_id: str) -> dict[str, int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT key, peak FROM flight_peaks WHERE workflow_id = $1",
                                uuid.UUID(workflow_id))  # fmt: skip
    return {r["key"]: r["peak"] for r in rows}


async def test_queued_runs_begin_one_by_one_in_arrival_order(
    running: Services, e2e_pool: asyncpg.Pool
) -> None:
    event = f"GO_{uuid.uuid4().hex[:8]}"
    document = {"name": "one at a time", "concurrency": {"limit": 1}, "steps": [
        {"id": "w", "type": "event.wait", "config": {
            "eventName": event, "correlationKey": {"$expr": "payload.key"}}},
        {"id": "done", "type": "state.set", "config": {"state": "DONE"}}]}  # fmt: skip
    async with api_client(running, e2e_pool) as api:
        wf = await publish(api, document)
        runs = [await start(api, wf, {"key": f"k{i}"}) for i in range(6)]  # arrival order
        for i, run_id in enumerate(runs):

            async def turn(i: int = i) -> dict[str, str] | None:
                now = await statuses(e2e_pool, wf)
                return now if now[runs[i]] == "WAITING" else None

            seen = await wait_for(turn, 60, f"run {i} to begin", running)
            # its predecessors ended, its successors still queued: one at a time, in order
            assert [seen[r] for r in runs] == ["SUCCEEDED"] * i + ["WAITING"] + ["QUEUED"] * (5 - i)
            resume = {"eventName": event, "correlationKey": f"k{i}"}
            routed = await api.post("/workflow/events", json=resume)
            assert routed.json()["resumedRunId"] == run_id, routed.text

    async def all_done() -> bool:
        return set((await statuses(e2e_pool, wf)).values()) == {"SUCCEEDED"}

    await wait_for(all_done, 60, "every run to succeed", running)
    assert await peaks(e2e_pool, wf) == {"": 1}


async def test_concurrent_starts_on_two_interpreters_never_pass_the_limit(
    running: Services, e2e_pool: asyncpg.Pool
) -> None:
    document = {"name": "bursty", "steps": [
        {"id": "work", "type": "timer.delay", "config": {"durationMs": 300}},
        {"id": "done", "type": "state.set", "config": {"state": "DONE"}}],
        "concurrency": {"limit": 3, "key": {"$expr": "payload.customer"}}}  # fmt: skip
    customers = ["acme"] * 16 + ["globex"] * 8
    async with api_client(running, e2e_pool) as api:
        wf = await publish(api, document)
        runs = await asyncio.gather(*(start(api, wf, {"customer": c}) for c in customers))
    assert len(set(runs)) == 24

    async def all_final() -> dict[str, str] | None:
        now = await statuses(e2e_pool, wf)
        return now if all(s in FINAL for s in now.values()) else None

    final = await wait_for(all_final, 180, "the 24 runs to end", running, interval_s=0.5)
    assert set(final.values()) == {"SUCCEEDED"}
    assert await peaks(e2e_pool, wf) == {"acme": 3, "globex": 3}  # never 4, and full
    for name in ("interpreter", "interpreter2"):  # both processes advanced runs
        metrics = (await running.get(name, "/metrics")).text
        assert any(line.startswith("sluice_runs_completed_total{") and not line.endswith(" 0.0")
                   for line in metrics.splitlines()), f"{name} ended no run"  # fmt: skip
