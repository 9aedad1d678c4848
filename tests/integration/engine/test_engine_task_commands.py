"""A raw ``CompleteHumanTask`` on ``run-commands`` (an integration, a replay) through the
advance path: the same wait transition as the API's completion, so the task row, the
wait row and the run agree, and a timeout or cancel that won first makes it stale."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from engine_harness import Pump, publish
from sluice_config import Settings
from sluice_engine import (
    Applied,
    CommandRejectedError,
    PendingCommand,
    apply_command,
    apply_commands,
    command_message,
    complete_human_task,
    new_command_id,
)
from sluice_interpreter.batching import handle_command_batch
from sluice_interpreter.handling import Record
from sluice_interpreter.runtime import Runtime
from sluice_messaging import DeadLetterPublisher, encode
from sluice_messaging.consumer import create_consumer
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import PgDeadLetterSink, enqueue_many, transaction
from workflow_core.interpreter.commands import CompleteHumanTask

pytestmark = pytest.mark.integration


FORM = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}


def task_workflow(**config: Any) -> dict[str, Any]:
    return {"name": "task", "steps": [
        {"id": "t", "type": "human.task", "config": {
            "taskType": "review", "title": {"$expr": "'Review'"}, "formSchema": FORM,
            "saveAs": "vars.review", **config}},
        {"id": "s", "type": "state.set", "config": {"state": "REVIEWED"}},
    ]}  # fmt: skip


def completion(pump: Pump, task_id: str, output: Any, by: str | None = "ann") -> CompleteHumanTask:
    return CompleteHumanTask(
        command_id=new_command_id(), now=pump.ctx.clock(), task_id=task_id, output=output,
        completed_by=by,
    )  # fmt: skip


async def waiting_runs(pump: Pump, count: int, **config: Any) -> dict[str, str]:
    """``count`` runs parked on their task: run id -> task id."""
    workflow_id = await publish(pump.pool, pump.tenant_id, task_workflow(**config))
    run_ids = [await pump.start(workflow_id, {}) for _ in range(count)]
    await pump.drain()
    tasks = await pump.fetch("SELECT run_id, task_id FROM human_tasks WHERE tenant_id = $1")
    by_run = {str(t["run_id"]): str(t["task_id"]) for t in tasks}
    return {run_id: by_run[run_id] for run_id in run_ids}


async def produce(pump: Pump, run_id: str, command: CompleteHumanTask) -> None:
    """Put the command on ``run-commands`` the way any producer would (through the outbox)."""
    message = command_message(pump.topics, pump.tenant_id, run_id, command)
    async with transaction(pump.pool) as conn:
        await enqueue_many(conn, pump.tenant_id, [message])


async def apply_raw(pump: Pump, run_id: str, command: CompleteHumanTask) -> Applied:
    """The advance path for one command, as the pump's mode applies it."""
    async with transaction(pump.pool) as conn:
        if pump.bulk:
            pending = [PendingCommand(pump.tenant_id, run_id, command)]
            return (await apply_commands(conn, pump.ctx, pending))[0]
        return await apply_command(conn, pump.ctx, pump.tenant_id, run_id, command)


async def task_and_wait(pump: Pump, task_id: str) -> tuple[Any, Any]:
    task = await pump.fetch(
        "SELECT status, output, claimed_by FROM human_tasks WHERE tenant_id = $1 AND task_id = $2",
        uuid.UUID(task_id),
    )
    wait = await pump.fetch(
        "SELECT status, resolved_by FROM run_waits WHERE tenant_id = $1 AND wait_id = $2",
        uuid.UUID(task_id),
    )
    return task[0], wait[0]


async def test_raw_completion_completes_the_task_and_closes_the_wait(pump: Pump) -> None:
    runs = await waiting_runs(pump, 2)
    for run_id, task_id in runs.items():
        await produce(pump, run_id, completion(pump, task_id, {"ok": True}))
    await pump.drain()
    for run_id, task_id in runs.items():
        run = await pump.run_row(run_id)
        assert (run["status"], run["state"]) == ("SUCCEEDED", "REVIEWED")
        assert run["run_state"]["envelope"]["vars"]["review"] == {"ok": True}
        task, wait = await task_and_wait(pump, task_id)
        assert (task["status"], task["output"], task["claimed_by"]) == ("COMPLETED", {"ok": True},
                                                                        "ann")  # fmt: skip
        assert (wait["status"], wait["resolved_by"]) == ("RESOLVED", "task:ann")


async def test_raw_completion_redelivered_is_a_duplicate(pump: Pump) -> None:
    [(run_id, task_id)] = (await waiting_runs(pump, 1)).items()
    command = completion(pump, task_id, {"ok": False}, by=None)
    assert (await apply_raw(pump, run_id, command)).outcome == "applied"
    assert (await apply_raw(pump, run_id, command)).outcome == "duplicate"
    await pump.drain()
    task, wait = await task_and_wait(pump, task_id)
    assert (task["status"], task["output"], task["claimed_by"]) == ("COMPLETED", {"ok": False},
                                                                    None)  # fmt: skip
    assert wait["status"] == "RESOLVED"
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"


async def test_raw_completion_after_the_timeout_won_is_dropped_as_stale(pump: Pump) -> None:
    [(run_id, task_id)] = (await waiting_runs(pump, 1, timeoutMs=1000)).items()
    pump.ctx.clock.advance(2)  # type: ignore[attr-defined]
    assert await pump.fire_timers() == 1  # the wait is FIRED; FireTimer not applied yet
    applied = await apply_raw(pump, run_id, completion(pump, task_id, {"ok": True}))
    assert (applied.outcome, applied.status) == ("stale", "WAITING")
    await pump.drain()
    run = await pump.run_row(run_id)
    assert run["status"] == "FAILED"
    assert run["error"]["category"] == "TimeoutError"
    assert "review" not in run["run_state"]["envelope"]["vars"]
    task, wait = await task_and_wait(pump, task_id)
    assert (task["status"], task["output"]) == ("CANCELED", None)
    assert wait["status"] == "FIRED"
    logs = await pump.fetch(
        "SELECT message, data FROM run_logs WHERE tenant_id = $1 AND run_id = $2 "
        "AND message LIKE 'stale task%'",
        uuid.UUID(run_id),
    )
    assert [log["data"]["taskId"] for log in logs] == [task_id]


async def test_raw_completion_after_an_api_completion_is_stale(pump: Pump) -> None:
    [(run_id, task_id)] = (await waiting_runs(pump, 1)).items()
    async with transaction(pump.pool) as conn:
        await complete_human_task(conn, pump.ctx, pump.tenant_id, task_id, {"ok": True}, "bob")
    applied = await apply_raw(pump, run_id, completion(pump, task_id, {"ok": False}))
    assert applied.outcome == "stale"
    await pump.drain()
    task, wait = await task_and_wait(pump, task_id)
    assert (task["status"], task["output"], task["claimed_by"]) == ("COMPLETED", {"ok": True},
                                                                    "bob")  # fmt: skip
    assert wait["resolved_by"] == "task:bob"
    run = await pump.run_row(run_id)
    assert run["run_state"]["envelope"]["vars"]["review"] == {"ok": True}


async def test_raw_completion_naming_another_runs_task_is_stale(pump: Pump) -> None:
    runs = await waiting_runs(pump, 2)
    (run_a, _), (_, task_b) = runs.items()
    applied = await apply_raw(pump, run_a, completion(pump, task_b, {"ok": True}))
    assert applied.outcome == "stale"
    for task_id in runs.values():
        task, wait = await task_and_wait(pump, task_id)
        assert (task["status"], wait["status"]) == ("OPEN", "OPEN")


async def test_raw_completion_with_invalid_output_is_refused_and_the_task_stays_open(
    pump: Pump,
) -> None:
    [(run_id, task_id)] = (await waiting_runs(pump, 1)).items()
    refused = completion(pump, task_id, {"ok": "yes"})
    with pytest.raises(CommandRejectedError) as raised:
        await apply_raw(pump, run_id, refused)
    assert [v["pointer"] for v in raised.value.violations] == ["/ok"]
    assert "/ok" in raised.value.message
    task, wait = await task_and_wait(pump, task_id)
    assert (task["status"], wait["status"]) == ("OPEN", "OPEN")
    assert (await pump.run_row(run_id))["status"] == "WAITING"
    # nothing was recorded: the same command id, fixed, is applied (not a duplicate)
    fixed = refused.model_copy(update={"output": {"ok": True}})
    assert (await apply_raw(pump, run_id, fixed)).outcome == "applied"
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"


async def consumed(bootstrap: str, topic: str, count: int) -> list[Record]:
    """The first ``count`` records of ``topic``, as the advance agent receives them."""
    consumer = create_consumer(bootstrap, topic, group_id=f"g-{uuid.uuid4().hex}")
    await consumer.start()
    found: list[Record] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    found += [Record(r.topic, r.partition, r.offset, r.key, r.value) for r in batch]
    finally:
        await consumer.stop()
    return sorted(found, key=lambda r: (r.partition, r.offset))


@pytest.fixture
async def dlq(pump: Pump, kafka_bootstrap_servers: str) -> AsyncIterator[DeadLetterPublisher]:
    factory = functools.partial(create_producer, kafka_bootstrap_servers)
    publisher = DeadLetterPublisher(factory, pump.topics.dlq, PgDeadLetterSink(pump.pool))
    yield publisher
    await publisher.close()


def agent_runtime(pump: Pump, dlq: DeadLetterPublisher) -> Runtime:
    return Runtime(settings=Settings(), role="interpreter", topics=pump.topics, pool=pump.pool,
                   engine=pump.ctx, dlq=dlq)  # fmt: skip


def counted(rt: Runtime, outcome: str) -> float | None:
    labels = {"agent": "advance", "outcome": outcome}
    return rt.metrics.registry.get_sample_value("sluice_messages_total", labels)


async def test_advance_agent_applies_drops_or_dead_letters_raw_completions_from_kafka(
    pump: Pump, topics: Topics, kafka_bootstrap_servers: str, producer: AIOKafkaProducer,
    dlq: DeadLetterPublisher,
) -> None:  # fmt: skip
    [(ok_run, ok_task), (bad_run, bad_task)] = (await waiting_runs(pump, 2)).items()
    late = await waiting_runs(pump, 1, timeoutMs=1000)
    [(late_run, late_task)] = [(r, t) for r, t in late.items() if r not in (ok_run, bad_run)]
    pump.ctx.clock.advance(2)  # type: ignore[attr-defined]
    assert await pump.fire_timers() == 1  # the late task's timeout won; FireTimer queued
    outputs = [(ok_run, ok_task, {"ok": True}), (bad_run, bad_task, {"ok": "yes"}),
               (late_run, late_task, {"ok": True})]  # fmt: skip
    for run_id, task_id, output in outputs:
        message = command_message(topics, pump.tenant_id, run_id, completion(pump, task_id, output))
        await producer.send_and_wait(topics.run_commands, encode(message.message),
                                     key=run_id.encode())  # fmt: skip
    records = await consumed(kafka_bootstrap_servers, topics.run_commands, 3)
    rt = agent_runtime(pump, dlq)
    if pump.bulk:  # one chunk: the refused completion rolls it back, then one by one
        await handle_command_batch(rt, records)
    else:
        for record in records:
            await handle_command_batch(rt, [record])
    assert [counted(rt, o) for o in ("applied", "stale", "dead-lettered")] == [1, 1, 1]
    await pump.drain()
    assert (await pump.run_row(ok_run))["status"] == "SUCCEEDED"
    assert [r["status"] for r in await task_and_wait(pump, ok_task)] == ["COMPLETED", "RESOLVED"]
    assert (await pump.run_row(bad_run))["status"] == "WAITING"
    assert [r["status"] for r in await task_and_wait(pump, bad_task)] == ["OPEN", "OPEN"]
    assert (await pump.run_row(late_run))["error"]["category"] == "TimeoutError"
    assert [r["status"] for r in await task_and_wait(pump, late_task)] == ["CANCELED", "FIRED"]
    letters = await pump.fetch("SELECT key, reason FROM dead_letters WHERE tenant_id = $1")
    assert [bytes(letter["key"]).decode() for letter in letters] == [bad_run]
    assert letters[0]["reason"].startswith("CommandRejectedError: task output does not match")
    assert "/ok: " in letters[0]["reason"]
    [dead] = await consumed(kafka_bootstrap_servers, topics.dlq, 1)
    assert dead.key == bad_run.encode()
