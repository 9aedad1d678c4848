"""Cursor pagination: every item exactly once across pages, default 50, clamped at 500."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import httpx
import pytest
from fixtures.runs import insert_runs
from sluice_storage import NewRun, transaction

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def seed_runs(pool: asyncpg.Pool, tenant_id: str, count: int) -> list[uuid.UUID]:
    workflow_id, ids = uuid.uuid4(), []
    async with transaction(pool) as conn:
        for i in range(count):
            # Pairs share a start time: the id breaks ties, so nothing is skipped or repeated.
            started = T0 + dt.timedelta(seconds=i // 2)
            [record] = await insert_runs(conn, tenant_id, NewRun(uuid.uuid4(), workflow_id, 1, {},
                                                                 started))  # fmt: skip
            ids.append(record.run_id)
    return ids


async def walk(client: httpx.AsyncClient, path: str, **params: object) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = (await client.get(path, params=query)).json()
        pages.append([item["runId"] for item in body["items"]])
        cursor = body.get("nextCursor")
        if not cursor:
            return pages


async def test_cursor_walk_returns_every_run_once_newest_first(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    ids = await seed_runs(pool, tenant_id, 120)
    pages = await walk(admin, "/workflow-runs")
    assert [len(p) for p in pages] == [50, 50, 20]
    seen = [run for page in pages for run in page]
    assert sorted(seen) == sorted(str(i) for i in ids)
    listed = [
        item for page_url in ["/workflow-runs?limit=500"]
        for item in (await admin.get(page_url)).json()["items"]
    ]  # fmt: skip
    starts = [item["startedAt"] for item in listed]
    assert starts == sorted(starts, reverse=True)
    oldest_first = await walk(admin, "/workflow-runs", sort="startedAt", limit=70)
    assert [run for page in oldest_first for run in page] == list(reversed(seen))


async def test_limit_above_500_is_clamped(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    await seed_runs(pool, tenant_id, 510)
    body = (await admin.get("/workflow-runs", params={"limit": 100000})).json()
    assert len(body["items"]) == 500
    assert body["nextCursor"]
    rest = (await admin.get("/workflow-runs", params={"cursor": body["nextCursor"]})).json()
    assert len(rest["items"]) == 10
    assert "nextCursor" not in rest or rest["nextCursor"] is None


async def test_filters_combine_status_and_time_window(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    await seed_runs(pool, tenant_id, 10)
    window = {"from": (T0 + dt.timedelta(seconds=1)).isoformat(),
              "to": (T0 + dt.timedelta(seconds=3)).isoformat()}  # fmt: skip
    in_window = (await admin.get("/workflow-runs", params=window)).json()["items"]
    assert len(in_window) == 4
    none_done = await admin.get("/workflow-runs", params={"status": ["SUCCEEDED", "FAILED"]})
    assert none_done.json()["items"] == []
    bad = await admin.get("/workflow-runs", params={"status": "DONE"})
    assert bad.status_code == 422


async def test_summary_counts_by_status_and_bucket(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    await seed_runs(pool, tenant_id, 6)
    summary = (await admin.get("/workflow-runs/summary", params={"bucket": "minute"})).json()
    assert summary["totals"] == {"RUNNING": 6}
    assert summary["buckets"] == [{"start": "2026-01-01T00:00:00Z", "counts": {"RUNNING": 6}}]
