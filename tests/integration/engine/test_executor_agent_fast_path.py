"""The executor agent's batch (``accept_requests``): fast path first, the rest as jobs.

Real PostgreSQL; the records are the outbox's action requests as Kafka would
deliver them. No Kafka needed: nothing here is dead-lettered.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from engine_harness import Pump, publish
from sluice_config import Settings
from sluice_engine import execute_jobs
from sluice_interpreter.accepting import accept_requests
from sluice_interpreter.handling import Record
from sluice_interpreter.runtime import Runtime
from sluice_messaging import DeadLetterPublisher

pytestmark = pytest.mark.integration


def _workflow(action: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    step = {"id": "act", "type": "action.call",
            "config": {"actionId": action, "version": 1, "args": args or {}}}  # fmt: skip
    return {"name": "agent fast path", "steps": [step]}


def _no_kafka() -> AIOKafkaProducer:
    raise AssertionError("nothing is dead-lettered here: no Kafka producer is made")


def _runtime(pump: Pump, **settings: Any) -> Runtime:
    return Runtime(settings=Settings(**settings), role="executor", topics=pump.topics,
                   pool=pump.pool, engine=pump.ctx, dlq=DeadLetterPublisher(_no_kafka, "none"),
                   handlers=pump.handlers, owner="agent")  # fmt: skip


async def _records(pump: Pump, doc: dict[str, Any], count: int) -> tuple[list[str], list[Record]]:
    """Start ``count`` runs; their action requests as consumed Kafka records."""
    workflow_id = await publish(pump.pool, pump.tenant_id, doc)
    run_ids = [await pump.start(workflow_id, {}) for _ in range(count)]
    rows = await pump.fetch(
        """UPDATE outbox SET sent_at = now() WHERE tenant_id = $1 AND sent_at IS NULL
           AND topic = $2 RETURNING id, key, payload""",
        pump.topics.action_requests,
    )
    records = [Record(pump.topics.action_requests, 0, r["id"], r["key"].encode(),
                      json.dumps(r["payload"]).encode())
               for r in sorted(rows, key=lambda r: r["id"])]  # fmt: skip
    return run_ids, records


def _count(rt: Runtime, outcome: str) -> float | None:
    labels = {"agent": "executor", "outcome": outcome}
    return rt.metrics.registry.get_sample_value("sluice_messages_total", labels)


async def _statuses(pump: Pump, run_ids: list[str]) -> set[str]:
    return {(await pump.run_row(r))["status"] for r in run_ids}


async def test_executor_agent_runs_transactional_requests_without_jobs(pump: Pump) -> None:
    rt = _runtime(pump)
    record_runs, records = await _records(pump, _workflow("test.record"), 3)
    flaky_runs, flaky = await _records(pump, _workflow("test.flaky", {"failTimes": 0}), 1)
    batch = [*records, *flaky, records[0]]  # the first request delivered twice
    jobs = await accept_requests(rt, batch)
    assert sorted(str(j.run_id) for j in jobs) == sorted([record_runs[0], flaky_runs[0]])
    assert (_count(rt, "accepted"), _count(rt, "succeeded")) == (5, 2)
    config = rt.executor_config
    outcomes = [await execute_jobs(pump.pool, pump.ctx, pump.handlers, [j], config) for j in jobs]
    assert outcomes == [["succeeded"], ["succeeded"]]
    in_jobs = await pump.fetch("SELECT count(*) AS n FROM action_jobs WHERE tenant_id = $1")
    assert in_jobs[0]["n"] == 2
    await pump.drain()
    assert await _statuses(pump, record_runs + flaky_runs) == {"SUCCEEDED"}
    effects = await pump.fetch("SELECT count(*) AS n FROM test_action_rows WHERE tenant_id = $1")
    assert effects[0]["n"] == 3


async def test_executor_agent_sends_a_chunk_with_an_existing_invocation_to_jobs(
    pump: Pump,
) -> None:
    rt = _runtime(pump)
    run_ids, records = await _records(pump, _workflow("test.record"), 3)
    assert await accept_requests(rt, records[1:2]) == []  # its invocation now SUCCEEDED
    jobs = await accept_requests(rt, records)  # e.g. a redelivery after a crash
    assert [str(j.run_id) for j in jobs] == run_ids
    assert _count(rt, "fast-fallback") == 3
    outcomes = await execute_jobs(pump.pool, pump.ctx, pump.handlers, jobs, rt.executor_config)
    assert outcomes == ["succeeded", "reused", "succeeded"]
    await pump.drain()
    assert await _statuses(pump, run_ids) == {"SUCCEEDED"}
    effects = await pump.fetch("SELECT count(*) AS n FROM test_action_rows WHERE tenant_id = $1")
    assert effects[0]["n"] == 3


async def test_executor_agent_without_the_fast_path_makes_every_request_a_job(pump: Pump) -> None:
    rt = _runtime(pump, executor_fast_path=False)
    run_ids, records = await _records(pump, _workflow("test.record"), 2)
    jobs = await accept_requests(rt, records)
    assert sorted(str(j.run_id) for j in jobs) == sorted(run_ids)
    invocations = await pump.fetch(
        "SELECT count(*) AS n FROM action_invocations WHERE tenant_id = $1"
    )
    assert invocations[0]["n"] == 0
