"""A group of transactional action jobs: one claim and one complete statement for all."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from engine_harness import Pump, publish
from sluice_engine import ExecutorConfig, execute_job, execute_jobs
from sluice_engine.jobs import Job

pytestmark = pytest.mark.integration


def _record_workflow() -> dict[str, Any]:
    step = {"id": "rec", "type": "action.call",
            "config": {"actionId": "test.record", "version": 1, "args": {}}}  # fmt: skip
    return {"name": "group", "steps": [step]}


async def _jobs(pump: Pump, count: int) -> tuple[list[str], list[Job]]:
    workflow_id = await publish(pump.pool, pump.tenant_id, _record_workflow())
    run_ids = [await pump.start(workflow_id, {}) for _ in range(count)]
    requests = await pump.fetch(
        "SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = $2 ORDER BY id",
        pump.topics.action_requests,
    )
    await pump.fetch("UPDATE outbox SET sent_at = now() WHERE tenant_id = $1")
    jobs = [Job(pump.tenant_id, uuid.uuid4(), uuid.UUID(rid), r["payload"]["body"], 1)
            for r, rid in zip(requests, run_ids, strict=True)]  # fmt: skip
    return run_ids, jobs


async def test_job_group_reuses_an_existing_invocation_and_runs_the_fresh_ones(pump: Pump) -> None:
    run_ids, jobs = await _jobs(pump, 3)
    first = await execute_job(pump.pool, pump.ctx, pump.handlers, jobs[0], ExecutorConfig("a"))
    again = [Job(j.tenant_id, uuid.uuid4(), j.run_id, j.request, 1) for j in jobs]
    outcomes = await execute_jobs(pump.pool, pump.ctx, pump.handlers, again, ExecutorConfig("g"))
    assert (first, outcomes) == ("succeeded", ["reused", "succeeded", "succeeded"])
    rows = await pump.fetch("SELECT count(*) AS n FROM test_action_rows WHERE tenant_id = $1")
    assert rows[0]["n"] == 3
    answers = await pump.fetch(
        "SELECT count(*) AS n FROM outbox WHERE tenant_id = $1 AND topic = $2 AND sent_at IS NULL",
        pump.topics.run_commands,
    )
    assert answers[0]["n"] == 4  # one per job, the reused one answered from the stored output
    await pump.drain()
    assert {(await pump.run_row(r))["status"] for r in run_ids} == {"SUCCEEDED"}


async def test_job_group_marks_every_job_done_with_its_invocation_succeeded(pump: Pump) -> None:
    _, jobs = await _jobs(pump, 4)
    async with pump.pool.acquire() as conn:
        await conn.executemany(
            """INSERT INTO action_jobs (tenant_id, job_id, run_id, request, status,
                 available_at) VALUES ($1, $2, $3, $4, 'RUNNING', now())""",
            [(j.tenant_id, j.job_id, j.run_id, j.request) for j in jobs],
        )
    outcomes = await execute_jobs(pump.pool, pump.ctx, pump.handlers, jobs, ExecutorConfig("g"))
    assert outcomes == ["succeeded"] * 4
    done = await pump.fetch(
        "SELECT status, count(*) AS n FROM action_jobs WHERE tenant_id = $1 GROUP BY status"
    )
    invocations = await pump.fetch(
        """SELECT status, count(*) AS n, min(duration_ms) >= 0 AS timed
           FROM action_invocations WHERE tenant_id = $1 GROUP BY status"""
    )
    assert [(r["status"], r["n"]) for r in done] == [("DONE", 4)]
    assert [(r["status"], r["n"], r["timed"]) for r in invocations] == [("SUCCEEDED", 4, True)]
