"""Starting and advancing runs against the real database (commands pumped in-process)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from engine_harness import Pump, publish
from sluice_engine import (
    ExecutorConfig,
    InvalidPayloadError,
    apply_command,
    execute_job,
    execute_jobs,
    start_run,
)
from sluice_engine.jobs import Job
from sluice_storage import transaction
from workflow_core.interpreter.commands import Continue

pytestmark = pytest.mark.integration


def call(
    step_id: str, action: str, args: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    config: dict[str, Any] = {"actionId": action, "version": 1, "args": args or {}}
    config.update(extra.pop("config", {}))
    return {"id": step_id, "type": "action.call", "config": config, **extra}


def workflow(*steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "test workflow", "steps": list(steps), **extra}


async def test_run_with_actions_succeeds_and_records_history(pump: Pump) -> None:
    doc = workflow(
        {"id": "s", "type": "state.set", "config": {"state": "WORKING"}},
        call("echo", "test.echo", {"a": {"$expr": "payload.a"}}, config={"saveAs": "vars.echo"}),
        call("rec", "test.record", {"x": 1}, config={"saveAs": "vars.rec"}),
    )
    workflow_id = await publish(pump.pool, pump.tenant_id, doc)
    run_id = await pump.start(workflow_id, {"a": 7})
    await pump.drain()
    run = await pump.run_row(run_id)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "WORKING")
    assert run["run_state"]["envelope"]["vars"]["echo"] == {"a": 7}
    steps = await pump.fetch(
        "SELECT step_id, status FROM run_steps WHERE tenant_id = $1 ORDER BY id"
    )
    assert [(s["step_id"], s["status"]) for s in steps] == [
        ("s", "SUCCEEDED"), ("echo", "SUCCEEDED"), ("rec", "SUCCEEDED"),
    ]  # fmt: skip
    invocations = await pump.fetch(
        "SELECT action_id, status FROM action_invocations WHERE tenant_id = $1 ORDER BY action_id"
    )
    assert [(i["action_id"], i["status"]) for i in invocations] == [
        ("test.echo", "SUCCEEDED"), ("test.record", "SUCCEEDED"),
    ]  # fmt: skip
    rows = await pump.fetch("SELECT idempotency_key FROM test_action_rows WHERE tenant_id = $1")
    assert [r["idempotency_key"] for r in rows] == [f"{run_id}:rec"]
    snapshots = await pump.fetch("SELECT count(*) AS n FROM run_snapshots WHERE tenant_id = $1")
    assert snapshots[0]["n"] >= 3


async def test_invalid_payload_is_rejected_and_no_run_exists(pump: Pump) -> None:
    doc = workflow(
        {"id": "s", "type": "state.set", "config": {"state": "X"}},
        payloadSchemaRef="payload.EmailWorkflowPayload.v1",
    )
    workflow_id = await publish(pump.pool, pump.tenant_id, doc)
    with pytest.raises(InvalidPayloadError) as raised:
        async with transaction(pump.pool) as conn:
            await start_run(conn, pump.ctx, pump.tenant_id, workflow_id, {"nope": 1})
    assert raised.value.violations
    runs = await pump.fetch("SELECT run_id FROM workflow_runs WHERE tenant_id = $1")
    assert runs == []


async def test_redelivered_command_is_applied_once(pump: Pump) -> None:
    doc = workflow(call("rec", "test.record"))
    workflow_id = await publish(pump.pool, pump.tenant_id, doc)
    run_id = await pump.start(workflow_id, {})
    command = Continue(command_id=str(uuid.uuid4()), now=pump.ctx.clock())
    outcomes = []
    for _ in range(2):
        async with transaction(pump.pool) as conn:
            applied = await apply_command(conn, pump.ctx, pump.tenant_id, run_id, command)
        outcomes.append(applied.outcome)
    assert outcomes == ["applied", "duplicate"]
    await pump.drain()
    rows = await pump.fetch("SELECT count(*) AS n FROM test_action_rows WHERE tenant_id = $1")
    assert rows[0]["n"] == 1
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"


async def test_transient_failure_is_retried_with_recorded_backoff(pump: Pump) -> None:
    retry = {"maxAttempts": 3, "backoffMs": 1000, "jitter": False}
    doc = workflow(call("flaky", "test.flaky", {"failTimes": 2}, retry=retry))
    workflow_id = await publish(pump.pool, pump.tenant_id, doc)
    run_id = await pump.start(workflow_id, {})
    delays = []
    for _ in range(2):
        await pump.drain()
        assert (await pump.run_row(run_id))["status"] == "WAITING"
        wait = (await pump.fetch(
            """SELECT created_at, due_at FROM run_waits WHERE tenant_id = $1 AND status = 'OPEN'"""
        ))[0]  # fmt: skip
        delays.append(round((wait["due_at"] - wait["created_at"]).total_seconds() * 1000))
        pump.ctx.clock.advance(wait["due_at"].timestamp() - pump.ctx.clock().timestamp() + 0.01)
        assert await pump.fire_timers() == 1
    await pump.drain()
    assert delays == [1000, 2000]
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"
    attempts = await pump.fetch(
        "SELECT attempt, status FROM run_steps WHERE tenant_id = $1 ORDER BY attempt"
    )
    assert [(a["attempt"], a["status"]) for a in attempts] == [
        (1, "RETRY_SCHEDULED"), (2, "RETRY_SCHEDULED"), (3, "SUCCEEDED"),
    ]  # fmt: skip


async def test_action_request_executed_again_reuses_the_stored_output(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, workflow(call("rec", "test.record")))
    run_id = await pump.start(workflow_id, {})
    requests = await pump.fetch(
        "SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = $2",
        pump.topics.action_requests,
    )
    await pump.drain()
    body = requests[0]["payload"]["body"]
    again = Job(pump.tenant_id, uuid.uuid4(), uuid.UUID(run_id), body, 1)
    outcome = await execute_job(pump.pool, pump.ctx, pump.handlers, again, ExecutorConfig("other"))
    assert outcome == "reused"
    rows = await pump.fetch("SELECT count(*) AS n FROM test_action_rows WHERE tenant_id = $1")
    assert rows[0]["n"] == 1
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"


async def test_grouped_action_jobs_fall_back_one_by_one_when_one_fails(pump: Pump) -> None:
    ok = await publish(pump.pool, pump.tenant_id, workflow(call("rec", "test.record")))
    boom = await publish(
        pump.pool, pump.tenant_id, workflow(call("rec", "test.record", {"boom": True}))
    )
    run_ok, run_boom = await pump.start(ok, {}), await pump.start(boom, {})
    requests = await pump.fetch(
        "SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = $2 ORDER BY id",
        pump.topics.action_requests,
    )
    await pump.fetch("UPDATE outbox SET sent_at = now() WHERE tenant_id = $1")
    jobs = [Job(pump.tenant_id, uuid.uuid4(), uuid.UUID(rid), r["payload"]["body"], 1)
            for r, rid in zip(requests, (run_ok, run_boom), strict=True)]  # fmt: skip
    outcomes = await execute_jobs(pump.pool, pump.ctx, pump.handlers, jobs, ExecutorConfig("g"))
    assert outcomes == ["succeeded", "failed"]
    rows = await pump.fetch("SELECT run_id FROM test_action_rows WHERE tenant_id = $1")
    assert [str(r["run_id"]) for r in rows] == [run_ok]
    await pump.drain()
    assert (await pump.run_row(run_ok))["status"] == "SUCCEEDED"
    assert (await pump.run_row(run_boom))["status"] == "FAILED"


async def test_grouped_action_jobs_share_one_transaction(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, workflow(call("rec", "test.record")))
    run_ids = [await pump.start(workflow_id, {}) for _ in range(3)]
    requests = await pump.fetch(
        "SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = $2 ORDER BY id",
        pump.topics.action_requests,
    )
    await pump.fetch("UPDATE outbox SET sent_at = now() WHERE tenant_id = $1")
    jobs = [Job(pump.tenant_id, uuid.uuid4(), uuid.UUID(rid), r["payload"]["body"], 1)
            for r, rid in zip(requests, run_ids, strict=True)]  # fmt: skip
    outcomes = await execute_jobs(pump.pool, pump.ctx, pump.handlers, jobs, ExecutorConfig("g"))
    assert outcomes == ["succeeded"] * 3
    await pump.drain()
    statuses = {(await pump.run_row(r))["status"] for r in run_ids}
    assert statuses == {"SUCCEEDED"}
    rows = await pump.fetch("SELECT count(*) AS n FROM test_action_rows WHERE tenant_id = $1")
    assert rows[0]["n"] == 3


async def test_pure_action_runs_inline_without_the_executor(pump: Pump) -> None:
    pump.ctx.inline_handlers = pump.handlers
    doc = workflow(
        call("e1", "test.echo", {"a": 1}, config={"saveAs": "vars.e1"}),
        call("e2", "test.echo", {"b": {"$expr": "vars.e1.a + 1"}}, config={"saveAs": "vars.e2"}),
    )
    run_id = await pump.start(await publish(pump.pool, pump.tenant_id, doc), {})
    run = await pump.run_row(run_id)
    assert run["status"] == "SUCCEEDED"
    assert run["run_state"]["envelope"]["vars"]["e2"] == {"b": 2}
    requests = await pump.fetch(
        "SELECT count(*) AS n FROM outbox WHERE tenant_id = $1 AND topic = $2",
        pump.topics.action_requests,
    )
    assert requests[0]["n"] == 0
    invocations = await pump.fetch(
        "SELECT status FROM action_invocations WHERE tenant_id = $1 ORDER BY step_id"
    )
    assert [i["status"] for i in invocations] == ["SUCCEEDED", "SUCCEEDED"]
