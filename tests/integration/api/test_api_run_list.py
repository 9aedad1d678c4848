"""The run list's filters beyond status/workflow/time: trigger, search, and the
summary counting what the list shows."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import httpx
import pytest
from fixtures.runs import insert_runs
from sluice_storage import NewRun, transaction

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


async def seed(pool: asyncpg.Pool, tenant_id: str) -> dict[str, uuid.UUID]:
    """An API run, an event run (correlation key ORDER-7) that failed, a child of it."""
    wf = uuid.uuid4()
    api_run = NewRun(uuid.uuid4(), wf, 1, {}, T0)
    event_run = NewRun(uuid.uuid4(), wf, 2, {}, T0 + dt.timedelta(minutes=1),
                       trigger_event_id=uuid.uuid4(), event_name="ORDER_PLACED",
                       correlation_key="ORDER-7")  # fmt: skip
    child = NewRun(uuid.uuid4(), uuid.uuid4(), 1, {}, T0 + dt.timedelta(minutes=2),
                   parent_run_id=event_run.run_id)  # fmt: skip
    async with transaction(pool) as conn:
        await insert_runs(conn, tenant_id, api_run, event_run, child)
        await conn.execute(  # the event run failed (setup: no workflow runs here)
            "UPDATE workflow_runs SET status = 'FAILED' WHERE tenant_id = $1 AND run_id = $2",
            tenant_id, event_run.run_id,
        )  # fmt: skip
    return {"api": api_run.run_id, "event": event_run.run_id, "child": child.run_id}


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["runId"] for item in response.json()["items"]]


async def test_run_list_filters_by_trigger_and_search(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    runs = {k: str(v) for k, v in (await seed(pool, tenant_id)).items()}
    assert ids(await admin.get("/workflow-runs", params={"trigger": "event"})) == [runs["event"]]
    both = await admin.get("/workflow-runs", params={"trigger": ["api", "child"]})
    assert ids(both) == [runs["child"], runs["api"]]
    assert ids(await admin.get("/workflow-runs", params={"q": "ORDER-7"})) == [runs["event"]]
    assert ids(await admin.get("/workflow-runs", params={"q": f" {runs['child']} "})) == [
        runs["child"]
    ]
    assert ids(await admin.get("/workflow-runs", params={"q": "ORDER"})) == []  # exact only
    combined = {"q": "ORDER-7", "status": "RUNNING"}
    assert ids(await admin.get("/workflow-runs", params=combined)) == []
    bad = await admin.get("/workflow-runs", params={"trigger": "cron"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"].startswith("/query/trigger")


async def test_run_public_says_how_the_run_started(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    runs = await seed(pool, tenant_id)
    event_run = (await admin.get(f"/workflow-runs/{runs['event']}")).json()
    assert event_run["trigger"] == "event"
    assert (event_run["eventName"], event_run["correlationKey"]) == ("ORDER_PLACED", "ORDER-7")
    assert event_run["triggerEventId"]
    child = (await admin.get(f"/workflow-runs/{runs['child']}")).json()
    assert (child["trigger"], child["parentRunId"]) == ("child", str(runs["event"]))
    assert (await admin.get(f"/workflow-runs/{runs['api']}")).json()["trigger"] == "api"


async def test_summary_counts_what_the_filtered_list_shows(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    await seed(pool, tenant_id)
    everything = (await admin.get("/workflow-runs/summary", params={"bucket": "day"})).json()
    assert everything["totals"] == {"RUNNING": 2, "FAILED": 1}
    params = {"bucket": "day", "trigger": ["event", "child"]}
    triggered = (await admin.get("/workflow-runs/summary", params=params)).json()
    assert triggered["totals"] == {"RUNNING": 1, "FAILED": 1}
    searched = (await admin.get("/workflow-runs/summary", params={"q": "ORDER-7"})).json()
    assert searched["totals"] == {"FAILED": 1}
    by_version = (await admin.get("/workflow-runs/summary", params={"version": 2})).json()
    assert by_version["totals"] == {"FAILED": 1}
