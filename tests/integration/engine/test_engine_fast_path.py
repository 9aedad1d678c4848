"""The executor's fast path: fresh transactional requests in one transaction, no job rows.

Every way out of the plain case (an existing invocation, a handler failure, a
non-transactional handler) leaves nothing behind, and the requests then take
the durable path (leased jobs) to the same outcome as before.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from engine_harness import Pump, publish
from sluice_engine import ExecutorConfig, execute_fresh, execute_job, execute_jobs, request_of
from sluice_engine.jobs import Job, NewJob, insert_leased
from sluice_engine.messages import answer_id
from sluice_messaging.envelope import from_wire
from sluice_storage import transaction

pytestmark = pytest.mark.integration

FAST = ExecutorConfig("fast")


def _workflow(action: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    step = {"id": "act", "type": "action.call",
            "config": {"actionId": action, "version": 1, "args": args or {}}}  # fmt: skip
    return {"name": "fast path", "steps": [step]}


async def _requests(pump: Pump, doc: dict[str, Any], count: int) -> tuple[list[str], list[NewJob]]:
    """Start ``count`` runs of ``doc``; their action requests as the executor reads them."""
    workflow_id = await publish(pump.pool, pump.tenant_id, doc)
    run_ids = [await pump.start(workflow_id, {}) for _ in range(count)]
    rows = await pump.fetch(
        """UPDATE outbox SET sent_at = now() WHERE tenant_id = $1 AND sent_at IS NULL
           AND topic = $2 RETURNING id, payload""",
        pump.topics.action_requests,
    )
    requests = []
    for row in sorted(rows, key=lambda r: r["id"]):
        envelope = from_wire(row["payload"])
        request_id = request_of(envelope).request_id
        requests.append(NewJob(pump.tenant_id, request_id, str(envelope.run_id), envelope.body))
    return run_ids, requests


async def _count(pump: Pump, table: str) -> int:
    rows = await pump.fetch(f"SELECT count(*) AS n FROM {table} WHERE tenant_id = $1")
    return int(rows[0]["n"])


async def _answers(pump: Pump) -> list[str]:
    rows = await pump.fetch(
        """SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = $2
           AND sent_at IS NULL ORDER BY id""",
        pump.topics.run_commands,
    )
    return [from_wire(r["payload"]).body["commandId"] for r in rows]


def _answer_ids(requests: list[NewJob]) -> list[str]:
    """The deterministic command ids of the requests' answers."""
    return [answer_id("complete", r.request_id) for r in requests]


async def _durable(pump: Pump, requests: list[NewJob]) -> list[str]:
    """Today's path: leased job rows, run as a group (``JobRunner``)."""
    async with transaction(pump.pool) as conn:
        now = pump.ctx.clock()
        jobs = await insert_leased(conn, requests, "durable", now + timedelta(minutes=1), now)
    return await execute_jobs(pump.pool, pump.ctx, pump.handlers, jobs, ExecutorConfig("durable"))


async def test_fresh_requests_run_in_one_transaction_without_job_rows(pump: Pump) -> None:
    run_ids, requests = await _requests(pump, _workflow("test.record"), 4)
    assert await execute_fresh(pump.pool, pump.ctx, pump.handlers, requests, FAST)
    invocations = await pump.fetch(
        """SELECT status, attempt, duration_ms >= 0 AS timed, xmin::text AS tx
           FROM action_invocations WHERE tenant_id = $1"""
    )
    assert {(i["status"], i["attempt"], i["timed"]) for i in invocations} == {
        ("SUCCEEDED", 1, True)
    }
    assert len(invocations) == 4
    effects = await pump.fetch("SELECT xmin::text AS tx FROM test_action_rows WHERE tenant_id = $1")
    assert len(effects) == 4
    assert len({i["tx"] for i in invocations} | {e["tx"] for e in effects}) == 1  # one commit
    assert await _count(pump, "action_jobs") == 0
    assert await _answers(pump) == _answer_ids(requests)
    await pump.drain()
    assert {(await pump.run_row(r))["status"] for r in run_ids} == {"SUCCEEDED"}


async def test_fresh_path_rolls_back_when_an_invocation_exists(pump: Pump) -> None:
    run_ids, requests = await _requests(pump, _workflow("test.record"), 3)
    first = requests[1]
    leased = Job(pump.tenant_id, uuid.UUID(first.request_id), uuid.UUID(first.run_id),
                 first.request, 1)  # fmt: skip
    outcome = await execute_job(pump.pool, pump.ctx, pump.handlers, leased, ExecutorConfig("a"))
    assert outcome == "succeeded"
    await pump.fetch("UPDATE outbox SET sent_at = now() WHERE tenant_id = $1")
    assert not await execute_fresh(pump.pool, pump.ctx, pump.handlers, requests, FAST)
    assert await _count(pump, "test_action_rows") == 1  # the first run's, nothing new
    assert await _answers(pump) == []
    assert await _durable(pump, requests) == ["succeeded", "reused", "succeeded"]
    assert await _count(pump, "test_action_rows") == 3
    assert sorted(await _answers(pump)) == sorted(_answer_ids(requests))
    await pump.drain()
    assert {(await pump.run_row(r))["status"] for r in run_ids} == {"SUCCEEDED"}


async def test_redelivered_request_after_a_fast_commit_is_answered_again_once(
    pump: Pump,
) -> None:
    run_ids, requests = await _requests(pump, _workflow("test.record"), 2)
    assert await execute_fresh(pump.pool, pump.ctx, pump.handlers, requests, FAST)
    assert not await execute_fresh(pump.pool, pump.ctx, pump.handlers, requests, FAST)
    assert await _durable(pump, requests) == ["reused", "reused"]
    assert await _count(pump, "test_action_rows") == 2  # no effect twice
    answers = await _answers(pump)
    assert answers == _answer_ids(requests * 2)
    await pump.drain()  # the duplicate answers are dropped by their command ids
    assert {(await pump.run_row(r))["status"] for r in run_ids} == {"SUCCEEDED"}
    steps = await pump.fetch("SELECT count(*) AS n FROM run_steps WHERE tenant_id = $1")
    assert steps[0]["n"] == 2


async def test_fresh_path_rolls_back_when_a_handler_raises(pump: Pump) -> None:
    _, ok = await _requests(pump, _workflow("test.record"), 2)
    boom_runs, boom = await _requests(pump, _workflow("test.record", {"boom": True}), 1)
    requests = [ok[0], *boom, ok[1]]
    assert not await execute_fresh(pump.pool, pump.ctx, pump.handlers, requests, FAST)
    assert await _count(pump, "test_action_rows") == 0
    assert await _count(pump, "action_invocations") == 0
    assert await _answers(pump) == []
    assert await _durable(pump, requests) == ["succeeded", "failed", "succeeded"]
    assert await _count(pump, "test_action_rows") == 2  # the failed one's insert rolled back
    await pump.drain()
    assert (await pump.run_row(boom_runs[0]))["status"] == "FAILED"


async def test_fresh_path_refuses_a_non_transactional_request(pump: Pump) -> None:
    _, records = await _requests(pump, _workflow("test.record"), 1)
    flaky_runs, flaky = await _requests(pump, _workflow("test.flaky", {"failTimes": 0}), 1)
    assert not await execute_fresh(pump.pool, pump.ctx, pump.handlers, records + flaky, FAST)
    assert await _count(pump, "action_invocations") == 0
    assert await _count(pump, "test_action_rows") == 0
    assert await _durable(pump, flaky) == ["succeeded"]
    await pump.drain()
    assert (await pump.run_row(flaky_runs[0]))["status"] == "SUCCEEDED"
