"""The persisted states an upgrade must carry on: one tenant each, one run each.

Each scenario has its definitions, a payload, the point where its state is
captured (``reach``: the run waits on something), what drives it on after the
upgrade (``drive``: deliver the event, complete the task; nothing for a timer or
a retry backoff, which the scheduler fires) and what the finished run must show
(``check``). The generator (``tests/upgrade/generate_fixtures.py``) uses the
first half, the upgrade test (``tests/upgrade/test_upgrade_fixtures.py``) the
second, and the previous-release test both, against the old services.

Timers and backoffs last a second: the generator runs no scheduler, so they are
captured open and overdue, as timers that came due while the services were being
upgraded; the new release's scheduler fires them when it starts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from e2e_support.services import Services, wait_for
from sluice_engine import EngineContext, StartOptions, complete_human_task, route_event, start_run
from sluice_messaging import EVENT_TYPE, new_envelope
from sluice_messaging.events import EventBody
from sluice_messaging.topics import Topics
from sluice_storage import DefinitionRepository, NewEvent, enqueue, transaction

DUE_MS = 1000  # overdue when captured: the generator runs no scheduler


@dataclass
class Stage:
    """What a scenario step may use: the database, the engine, Kafka, its tenant."""

    pool: asyncpg.Pool
    engine: EngineContext
    topics: Topics
    producer: AIOKafkaProducer | None
    bootstrap: str
    tenant: str
    run_id: str = ""


Step = Callable[[Stage], Awaitable[None]]
Check = Callable[[Stage, asyncpg.Record], Awaitable[None]]


async def nothing(_stage: Stage) -> None:
    return None


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    definitions: list[dict[str, Any]]  # the last one is started; ids fixed (see workflow_id)
    payload: dict[str, Any]
    captured_when: str  # SQL over run_waits: true once the state to capture is reached
    check: Check
    reach: Step = nothing  # with the services running, right after the start
    after_stop: Step = nothing  # with every service stopped, just before the capture
    drive: Step = nothing  # after the upgrade: what a user or a system does next

    @property
    def tenant(self) -> str:
        return f"upgrade-{self.name.replace('_', '-')}"


def workflow_id(scenario: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sluice-upgrade/{scenario}/{name}"))


def call(step_id: str, action: str, args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "type": "action.call",
            "config": {"actionId": action, "version": 1, "args": args}, **extra}  # fmt: skip


def expr(text: str) -> dict[str, str]:
    return {"$expr": text}


async def publish_all(pool: asyncpg.Pool, scenario: Scenario) -> None:
    now = datetime.now(UTC)
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, scenario.tenant)
        for document in scenario.definitions:
            wid = uuid.UUID(workflow_id(scenario.name, document["name"]))
            await repo.save_draft(wid, document, now)
            await repo.publish(wid, document, payload_schema=None, published_by="upgrade",
                               now=now)  # fmt: skip


async def start(stage: Stage, scenario: Scenario) -> str:
    started = workflow_id(scenario.name, scenario.definitions[-1]["name"])
    async with transaction(stage.pool) as conn:
        applied = await start_run(conn, stage.engine, stage.tenant, started, scenario.payload,
                                  StartOptions())  # fmt: skip
    stage.run_id = applied.run_id
    return applied.run_id


def _settled(scenario: Scenario) -> str:
    """The capture point reached, every run of the tenant waiting, its outbox relayed."""
    return f"""SELECT EXISTS (SELECT 1 FROM run_waits WHERE tenant_id = $1 AND
                              {scenario.captured_when})
       AND NOT EXISTS (SELECT 1 FROM workflow_runs WHERE tenant_id = $1
                       AND status <> 'WAITING')
       AND NOT EXISTS (SELECT 1 FROM outbox WHERE tenant_id = $1 AND sent_at IS NULL)"""


async def bring_to_capture(
    stage: Stage, scenario: Scenario, services: Services, *, settle: bool = True
) -> None:
    """Publish, start and ``reach``; returns once the run is settled at its capture point
    (``settle=False``: at once; with a scheduler running, a 1 s timer or backoff may
    already have fired and moved the run past it)."""
    await publish_all(stage.pool, scenario)
    await start(stage, scenario)
    await scenario.reach(stage)
    if not settle:
        return

    async def settled() -> bool:
        return bool(await stage.pool.fetchval(_settled(scenario), scenario.tenant))

    await wait_for(settled, 90, f"{scenario.name} at its capture point", services)


async def send_event(stage: Stage, name: str, key: str, payload: dict[str, Any]) -> None:
    """As an external producer does: the bare event on ``wf.events``."""
    assert stage.producer is not None
    bare = {"tenantId": stage.tenant, "eventName": name, "correlationKey": key,
            "payload": payload}  # fmt: skip
    await stage.producer.send_and_wait(stage.topics.events, json.dumps(bare).encode(),
                                       key=f"{stage.tenant}:{name}:{key}".encode())  # fmt: skip


async def route_in_process(stage: Stage, name: str, key: str, payload: dict[str, Any]) -> None:
    """As ``POST /workflow/events`` does: routed in the API's own transaction."""
    event = NewEvent(uuid.uuid4(), name, key, payload, datetime.now(UTC))
    async with transaction(stage.pool) as conn:
        await route_event(conn, stage.engine, stage.tenant, event)


async def enqueue_event(stage: Stage, name: str, key: str, payload: dict[str, Any]) -> None:
    """As the ingest's ``POST /events`` does: an event envelope in the outbox."""
    body = EventBody(event_name=name, correlation_key=key, payload=payload)
    envelope = new_envelope(EVENT_TYPE, stage.tenant, body.model_dump(mode="json", by_alias=True,
                            exclude_none=True), occurred_at=datetime.now(UTC))  # fmt: skip
    async with transaction(stage.pool) as conn:
        await enqueue(conn, stage.tenant, stage.topics.events, f"{stage.tenant}:{name}:{key}",
                      envelope)  # fmt: skip


async def action_rows(stage: Stage) -> list[asyncpg.Record]:
    return list(await stage.pool.fetch(
        "SELECT idempotency_key, value FROM test_action_rows WHERE tenant_id = $1 ORDER BY id",
        stage.tenant))  # fmt: skip


def envelope(run: asyncpg.Record) -> dict[str, Any]:
    state: dict[str, Any] = run["run_state"]["envelope"]
    return state


async def _one_effect_per_key(stage: Stage, expected: int) -> None:
    rows = await action_rows(stage)
    keys = [r["idempotency_key"] for r in rows]
    assert len(keys) == expected, f"{stage.tenant}: {len(keys)} side effects, expected {expected}"
    assert len(set(keys)) == len(keys), f"{stage.tenant}: a side effect repeated: {keys}"


# --- waiting on an event --------------------------------------------------------------

APPROVAL = {"name": "approval", "steps": [
    call("before", "test.record", {"at": "before"}),
    {"id": "approval", "type": "event.wait", "config": {
        "eventName": "APPROVED", "correlationKey": expr("payload.requestId"),
        "assign": {"vars.approvedBy": expr("event.payload.by")}}},
    {"id": "approved", "type": "state.set", "config": {"state": "APPROVED"}},
    call("after", "test.record", {"by": expr("vars.approvedBy")}),
]}  # fmt: skip


def _open(kind: str, extra: str = "") -> str:
    return f"kind = '{kind}' AND status = 'OPEN'{extra}"


async def _approved(stage: Stage, run: asyncpg.Record) -> None:
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["state"] == "APPROVED"
    assert envelope(run)["vars"]["approvedBy"] == "ann"
    await _one_effect_per_key(stage, 2)


async def _approve_over_kafka(stage: Stage) -> None:
    await send_event(stage, "APPROVED", "REQ-1", {"by": "ann"})


async def _approval_in_outbox(stage: Stage) -> None:
    await enqueue_event(stage, "APPROVED", "REQ-1", {"by": "ann"})


async def _approval_in_kafka(stage: Stage) -> None:
    """The ingest accepted the event and the relay published it; no interpreter read it."""
    from sluice_engine.relay import OutboxRelay
    from sluice_messaging.producer import create_producer

    await enqueue_event(stage, "APPROVED", "REQ-1", {"by": "ann"})
    async with OutboxRelay(stage.pool, lambda: create_producer(stage.bootstrap)) as relay:
        assert await relay.drain() >= 1


# --- waiting on a timer, on a person, in a retry backoff ---------------------------------

TIMER = {"name": "timer", "steps": [
    {"id": "mark", "type": "transform.assign", "config": {"assign": {"vars.n": expr("payload.n")}}},
    {"id": "cool_off", "type": "timer.delay", "config": {"durationMs": DUE_MS}},
    {"id": "after", "type": "transform.assign",
     "config": {"assign": {"vars.doubled": expr("vars.n * 2")}}},
    {"id": "done", "type": "state.set", "config": {"state": "COOLED_OFF"}},
]}  # fmt: skip


async def _timer_fired(stage: Stage, run: asyncpg.Record) -> None:
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["state"] == "COOLED_OFF"
    assert envelope(run)["vars"] == {"n": 21, "doubled": 42}


TASK = {"name": "review", "steps": [
    {"id": "review", "type": "human.task", "config": {
        "taskType": "review", "title": expr("'Review ' & payload.requestId"),
        "formSchema": {"type": "object", "required": ["approved"], "properties": {
            "approved": {"type": "boolean"}, "note": {"type": "string"}}},
        "saveAs": "vars.review"}},
    {"id": "reviewed", "type": "state.set", "config": {"state": "REVIEWED"}},
]}  # fmt: skip


async def _complete_task(stage: Stage) -> None:
    task_id = await stage.pool.fetchval(
        "SELECT task_id FROM human_tasks WHERE tenant_id = $1 AND status = 'OPEN'", stage.tenant
    )
    assert task_id is not None, f"{stage.tenant}: no open task"
    async with transaction(stage.pool) as conn:
        await complete_human_task(conn, stage.engine, stage.tenant, str(task_id),
                                  {"approved": True, "note": "fine"}, "reviewer")  # fmt: skip


async def _reviewed(stage: Stage, run: asyncpg.Record) -> None:
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["state"] == "REVIEWED"
    assert envelope(run)["vars"]["review"] == {"approved": True, "note": "fine"}
    status = await stage.pool.fetchval(
        "SELECT status FROM human_tasks WHERE tenant_id = $1", stage.tenant
    )
    assert status == "COMPLETED"


RETRY = {"name": "retry", "steps": [
    call("flaky", "test.flaky", {"failTimes": 1},
         retry={"maxAttempts": 3, "backoffMs": DUE_MS, "jitter": False}),
    {"id": "done", "type": "state.set", "config": {"state": "RETRIED"}},
]}  # fmt: skip


async def _retried(stage: Stage, run: asyncpg.Record) -> None:
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["state"] == "RETRIED"
    attempts = await stage.pool.fetch(
        "SELECT attempt, status FROM run_steps WHERE tenant_id = $1 AND step_id = 'flaky'"
        " ORDER BY attempt", stage.tenant)  # fmt: skip
    assert [a["attempt"] for a in attempts] == [1, 2], attempts  # one row per attempt
    assert attempts[-1]["status"] == "SUCCEEDED", attempts


# --- mid-forEach, inside a child workflow ---------------------------------------------------

LOOP = {"name": "loop", "steps": [
    {"id": "per_item", "type": "control.forEach", "items": expr("payload.items"),
     "itemVar": "item", "body": [
        call("record", "test.record", {"sku": expr("vars.item")}),
        {"id": "item_done", "type": "event.wait", "config": {
            "eventName": "ITEM_DONE", "correlationKey": expr("vars.item"),
            "assign": {"vars.last": expr("event.payload.sku")}}},
     ]},
    {"id": "done", "type": "state.set", "config": {"state": "ALL_ITEMS"}},
]}  # fmt: skip


async def _first_item_done(stage: Stage) -> None:
    await _wait_open(stage, "event", "A")
    await route_in_process(stage, "ITEM_DONE", "A", {"sku": "A"})


async def _other_items_done(stage: Stage) -> None:
    await _wait_open(stage, "event", "B")
    await send_event(stage, "ITEM_DONE", "B", {"sku": "B"})
    await _wait_open(stage, "event", "C")
    await send_event(stage, "ITEM_DONE", "C", {"sku": "C"})


async def _wait_open(stage: Stage, kind: str, key: str, timeout_s: float = 60) -> None:
    async def found() -> bool:
        return bool(await stage.pool.fetchval(
            "SELECT count(*) FROM run_waits WHERE tenant_id = $1 AND kind = $2"
            " AND status = 'OPEN' AND correlation_key = $3", stage.tenant, kind, key))  # fmt: skip

    await wait_for(found, timeout_s, f"{stage.tenant}: an open {kind} wait on {key}")


async def _looped(stage: Stage, run: asyncpg.Record) -> None:
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["state"] == "ALL_ITEMS"
    assert envelope(run)["vars"]["last"] == "C"
    await _one_effect_per_key(stage, 3)
    skus = [r["value"]["sku"] for r in await action_rows(stage)]
    assert skus == ["A", "B", "C"]


CHILD = {"name": "fulfil", "steps": [
    {"id": "shipped", "type": "event.wait", "config": {
        "eventName": "SHIPPED", "correlationKey": expr("payload.sku")}},
    {"id": "ship", "type": "transform.assign",
     "config": {"assign": {"vars.shipmentId": expr("'SHIP-' & payload.sku")}}},
]}  # fmt: skip
PARENT = {"name": "order", "steps": [
    {"id": "child", "type": "control.callWorkflow",
     "workflowId": workflow_id("child_workflow", "fulfil"), "workflowVersion": 1,
     "inputMapping": {"sku": expr("payload.sku")},
     "outputMapping": {"vars.shipment": expr("vars.shipmentId")}},
    {"id": "done", "type": "state.set", "config": {"state": "FULFILLED"}},
]}  # fmt: skip


async def _ship(stage: Stage) -> None:
    await send_event(stage, "SHIPPED", "X1", {})


async def _fulfilled(stage: Stage, run: asyncpg.Record) -> None:
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["state"] == "FULFILLED"
    assert envelope(run)["vars"]["shipment"] == "SHIP-X1"
    children = await stage.pool.fetch(
        "SELECT status FROM workflow_runs WHERE tenant_id = $1 AND run_id <> $2",
        stage.tenant, uuid.UUID(stage.run_id),
    )  # fmt: skip
    assert [c["status"] for c in children] == ["SUCCEEDED"]


SCENARIOS = [
    Scenario("event_wait", "a run waiting on an event (APPROVED/REQ-1), delivered over Kafka",
             [APPROVAL], {"requestId": "REQ-1"}, _open("event"), _approved,
             drive=_approve_over_kafka),
    # before event_in_outbox: its relay drain would publish that scenario's outbox row too
    Scenario("event_in_kafka", "a run waiting on an event already on wf.events that no "
             "interpreter read before the upgrade (a pending Kafka message)", [APPROVAL],
             {"requestId": "REQ-1"}, _open("event"), _approved, after_stop=_approval_in_kafka),
    Scenario("event_in_outbox", "a run waiting on an event that the ingest accepted into the "
             "outbox before the upgrade; the new relay publishes it", [APPROVAL],
             {"requestId": "REQ-1"}, _open("event"), _approved, after_stop=_approval_in_outbox),
    Scenario("timer", "a run in a timer.delay that came due while no scheduler ran", [TIMER],
             {"n": 21}, _open("timer"), _timer_fired),
    Scenario("human_task", "a run waiting on a human task, completed after the upgrade",
             [TASK], {"requestId": "REQ-7"}, _open("human_task"), _reviewed,
             drive=_complete_task),
    Scenario("retry_backoff", "a run in a retry backoff (after a transient failure) that "
             "came due while no scheduler ran",
             [RETRY], {}, _open("retry"), _retried),
    Scenario("for_each", "a run inside a forEach: item A done, waiting on item B of A, B, C",
             [LOOP], {"items": ["A", "B", "C"]},
             _open("event", " AND correlation_key = 'B'"), _looped,
             reach=_first_item_done, drive=_other_items_done),
    Scenario("child_workflow", "a parent waiting on its child run, the child waiting on an event",
             [CHILD, PARENT], {"sku": "X1"}, _open("event"), _fulfilled, drive=_ship),
]  # fmt: skip
BY_NAME = {s.name: s for s in SCENARIOS}
