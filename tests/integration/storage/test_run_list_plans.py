"""The run list's queries use indexes at scale (EXPLAIN ANALYZE on 20,000 + 10,000 runs).

The statements are the repository's own: a connection stand-in prefixes each with
``EXPLAIN (ANALYZE, FORMAT JSON)``. Every filter the API offers is answered by an
index scan, never a sequential scan of ``workflow_runs``, and a page of 50 reads at
most 4,000 index entries (a fifth of the tenant). Where the planner may choose
(a common status is found fastest by walking the start-time index and skipping the
others), either index is accepted; the row bound keeps the choice honest.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from fixtures.run_population import populate_runs, workflow_ids
from integration.conftest import with_database
from sluice_storage import RunFilter, RunRepository, upgrade
from sluice_storage.pagination import encode_cursor
from sluice_storage.run_summary import RunSummaryRepository

pytestmark = pytest.mark.integration
NOW = datetime(2026, 6, 1, tzinfo=UTC)
TENANT, OTHER = "t-plans", "t-plans-other"


@dataclass
class Explaining:
    """Stands in for a connection: every ``fetch`` returns the plan instead of rows."""

    conn: asyncpg.Connection
    plans: list[dict[str, Any]] = field(default_factory=list)

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        raw = await self.conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *args)
        self.plans.append(json.loads(raw)[0]["Plan"])
        return []


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


@pytest.fixture(scope="module")
async def populated(database_url: str) -> AsyncIterator[str]:
    """A database of its own: 20,000 runs of the tenant, 10,000 of another (~3 s)."""
    name = f"sluice_plans_{uuid.uuid4().hex[:10]}"
    server = await asyncpg.connect(database_url)
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        dsn = with_database(database_url, name)
        await upgrade(dsn)
        conn = await asyncpg.connect(dsn)
        try:
            await populate_runs(conn, TENANT, 20_000, NOW)
            await populate_runs(conn, OTHER, 10_000, NOW)
        finally:
            await conn.close()
        yield dsn
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()


WF = workflow_ids(TENANT)[3]
START, STATUS = "workflow_runs_by_start", "workflow_runs_by_status"
CASES: dict[str, tuple[RunFilter, set[str]]] = {
    "no filter": (RunFilter(), {START}),
    "one status": (RunFilter(statuses=("FAILED",)), {STATUS, START}),
    "rare statuses": (RunFilter(statuses=("CANCELED", "RUNNING")), {STATUS, START}),
    "workflow": (RunFilter(workflow_id=WF), {"workflow_runs_by_workflow_start"}),
    "workflow and version": (RunFilter(workflow_id=WF, version=2), {"workflow_runs_by_workflow"}),
    "last hour": (RunFilter(started_from=NOW - timedelta(hours=1)), {START}),
    "trigger": (RunFilter(triggers=("child",)), {"workflow_runs_by_trigger", START}),
    "correlation key": (RunFilter(search="key-4242"), {"workflow_runs_by_correlation"}),
    "run id": (RunFilter(search=str(uuid.uuid4())), {"workflow_runs_pkey"}),
    "oldest first": (RunFilter(newest_first=False), {START}),
    "failed in the last day": (
        RunFilter(statuses=("FAILED",), started_from=NOW - timedelta(days=1)),
        {STATUS, START},
    ),
}


def entries_read(scan: dict[str, Any]) -> int:
    loops = scan.get("Actual Loops", 1)
    return int((scan.get("Actual Rows", 0) + scan.get("Rows Removed by Filter", 0)) * loops)


@pytest.mark.parametrize("case", list(CASES))
async def test_run_list_query_uses_its_index(populated: str, case: str) -> None:
    flt, indexes = CASES[case]
    conn = await asyncpg.connect(populated)
    try:
        explaining = Explaining(conn)
        repo = RunRepository(explaining, TENANT)  # type: ignore[arg-type]  # fetch only
        await repo.list_runs(flt, limit=50)
        page = await conn.fetch(
            "SELECT started_at, run_id FROM workflow_runs WHERE tenant_id = $1"
            " ORDER BY started_at DESC LIMIT 1 OFFSET 5000", TENANT,
        )  # fmt: skip
        name = "runs" if flt.newest_first else "runs-asc"
        cursor = encode_cursor(name, page[0]["started_at"], page[0]["run_id"])
        await repo.list_runs(flt, cursor=cursor, limit=50)  # a later page: same index
    finally:
        await conn.close()
    for plan in explaining.plans:
        scans = [n for n in nodes(plan) if "Scan" in n["Node Type"]]
        assert all(n["Node Type"] != "Seq Scan" for n in scans), (case, scans)
        used = {n.get("Index Name") for n in scans}
        assert used & indexes, (case, used)
        assert sum(entries_read(n) for n in scans) <= 4000, (case, scans)


async def test_run_summary_of_a_day_uses_an_index(populated: str) -> None:
    conn = await asyncpg.connect(populated)
    try:
        explaining = Explaining(conn)
        repo = RunSummaryRepository(explaining, TENANT)  # type: ignore[arg-type]  # fetch only
        await repo.summarize(bucket="hour", flt=RunFilter(started_from=NOW - timedelta(days=1)))
    finally:
        await conn.close()
    scans = [n for n in nodes(explaining.plans[0]) if "Scan" in n["Node Type"]]
    assert scans
    assert all(n["Node Type"] != "Seq Scan" for n in scans), scans
