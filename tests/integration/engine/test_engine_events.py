"""Events meet waits: routing, early events, races, exactly-one resumes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from engine_harness import Pump, publish
from sluice_engine import RouteResult, apply_command, new_command_id, route_event
from sluice_storage import NewEvent, transaction
from workflow_core.interpreter.commands import CancelRun

pytestmark = pytest.mark.integration


def wait_step(key: str = "payload.key", **config: Any) -> dict[str, Any]:
    body = {"eventName": "APPROVED", "correlationKey": {"$expr": key}, **config}
    return {"id": "wait", "type": "event.wait", "config": body}


def waiting_workflow(**config: Any) -> dict[str, Any]:
    assign = {"vars.approvedBy": {"$expr": "event.payload.by"}}
    return {"name": "waits", "steps": [wait_step(assign=assign, **config)]}


async def send(pump: Pump, key: str, payload: dict[str, Any] | None = None,
               name: str = "APPROVED") -> RouteResult:  # fmt: skip
    event = NewEvent(
        event_id=uuid.uuid4(), event_name=name, correlation_key=key, payload=payload or {},
        received_at=pump.ctx.clock(),
    )  # fmt: skip
    async with transaction(pump.pool) as conn:
        return await route_event(conn, pump.ctx, pump.tenant_id, event)


async def test_event_triggered_run_succeeds(pump: Pump) -> None:
    doc = {
        "name": "triggered",
        "trigger": {"type": "event", "eventName": "TICKET_OPENED"},
        "steps": [{"id": "s", "type": "transform.assign",
                   "config": {"assign": {"vars.id": {"$expr": "payload.id"}}}}],
    }  # fmt: skip
    await publish(pump.pool, pump.tenant_id, doc)
    result = await send(pump, "k1", {"id": 5}, name="TICKET_OPENED")
    assert len(result.started_run_ids) == 1
    await pump.drain()
    run = await pump.run_row(result.started_run_ids[0])
    assert run["status"] == "SUCCEEDED"
    assert run["run_state"]["envelope"]["vars"]["id"] == 5


async def test_event_wait_is_resumed_by_a_later_event_with_assign(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, waiting_workflow())
    run_id = await pump.start(workflow_id, {"key": "A-1"})
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "WAITING"
    result = await send(pump, "A-1", {"by": "ann"})
    assert result.resumed_run_id == run_id
    await pump.drain()
    run = await pump.run_row(run_id)
    assert run["status"] == "SUCCEEDED"
    assert run["run_state"]["envelope"]["vars"]["approvedBy"] == "ann"


async def test_event_before_its_wait_still_resumes_it(pump: Pump) -> None:
    early = await send(pump, "B-1", {"by": "bob"})
    assert early.resumed_run_id is None
    workflow_id = await publish(pump.pool, pump.tenant_id, waiting_workflow())
    run_id = await pump.start(workflow_id, {"key": "B-1"})
    await pump.drain()
    run = await pump.run_row(run_id)
    assert run["status"] == "SUCCEEDED"
    assert run["run_state"]["envelope"]["vars"]["approvedBy"] == "bob"


async def test_event_older_than_the_accept_window_is_not_taken(pump: Pump) -> None:
    await send(pump, "C-1", {"by": "old"})
    pump.ctx.clock.advance(2)
    workflow_id = await publish(
        pump.pool, pump.tenant_id, waiting_workflow(acceptEarlierEventsMs=1000)
    )
    run_id = await pump.start(workflow_id, {"key": "C-1"})
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "WAITING"


async def test_ten_waits_and_fifty_concurrent_events_give_ten_distinct_resumes(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, waiting_workflow())
    run_ids = [await pump.start(workflow_id, {"key": "K"}) for _ in range(10)]
    await pump.drain()
    results = await asyncio.gather(*(send(pump, "K", {"by": f"e{i}"}) for i in range(50)))
    resumed = [r.resumed_run_id for r in results if r.resumed_run_id is not None]
    assert sorted(resumed) == sorted(run_ids)
    unmatched = await pump.fetch(
        "SELECT count(*) AS n FROM events WHERE tenant_id = $1 AND NOT matched"
    )
    assert unmatched[0]["n"] == 40
    await pump.drain()
    runs = await pump.fetch("SELECT run_state FROM workflow_runs WHERE tenant_id = $1")
    by = {r["run_state"]["envelope"]["vars"]["approvedBy"] for r in runs}
    assert len(by) == 10


async def test_event_racing_a_timeout_lets_exactly_one_win(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, waiting_workflow(timeoutMs=1000))
    run_ids = [await pump.start(workflow_id, {"key": f"R-{i}"}) for i in range(10)]
    await pump.drain()
    pump.ctx.clock.advance(2)
    routed = await asyncio.gather(pump.fire_timers(), *(send(pump, f"R-{i}") for i in range(10)))
    events = routed[1:]
    resumed = {r.resumed_run_id for r in events if r.resumed_run_id}  # type: ignore[union-attr]
    # Counted in this tenant: the timer sweep also fires due waits other tests left behind.
    fired = await pump.fetch(
        "SELECT count(*) AS n FROM run_waits WHERE tenant_id = $1 AND status = 'FIRED'"
    )
    assert fired[0]["n"] + len(resumed) == 10
    await pump.drain()
    waits = await pump.fetch("SELECT run_id, status FROM run_waits WHERE tenant_id = $1")
    assert {w["status"] for w in waits} <= {"RESOLVED", "FIRED"}
    for run_id in run_ids:
        status = (await pump.run_row(run_id))["status"]
        assert status == ("SUCCEEDED" if run_id in resumed else "FAILED")


async def test_event_racing_a_cancel_lets_exactly_one_win(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, waiting_workflow())
    run_ids = [await pump.start(workflow_id, {"key": f"X-{i}"}) for i in range(10)]
    await pump.drain()

    async def cancel(run_id: str) -> None:
        command = CancelRun(command_id=new_command_id(), now=pump.ctx.clock(), reason="race")
        async with transaction(pump.pool) as conn:
            await apply_command(conn, pump.ctx, pump.tenant_id, run_id, command)

    events = await asyncio.gather(
        *(send(pump, f"X-{i}") for i in range(10)), *(cancel(r) for r in run_ids)
    )
    resumed = {e.resumed_run_id for e in events[:10] if e is not None and e.resumed_run_id}  # type: ignore[union-attr]
    waits = await pump.fetch("SELECT run_id, status FROM run_waits WHERE tenant_id = $1")
    for wait in waits:
        won_by_event = str(wait["run_id"]) in resumed
        assert wait["status"] == ("RESOLVED" if won_by_event else "CANCELED")
    unmatched = await pump.fetch(
        "SELECT count(*) AS n FROM events WHERE tenant_id = $1 AND NOT matched"
    )
    assert unmatched[0]["n"] == 10 - len(resumed)
    await pump.drain()
    statuses = {(await pump.run_row(r))["status"] for r in run_ids}
    assert statuses == {"CANCELED"}


async def test_wait_timeout_is_caught_by_try_catch(pump: Pump) -> None:
    doc = {
        "name": "timeout",
        "steps": [{
            "id": "tc", "type": "control.tryCatch", "captureErrorAs": "err",
            "try": [wait_step(timeoutMs=500)],
            "catch": [{"id": "s", "type": "state.set", "config": {"state": "TIMED_OUT"}}],
        }],
    }  # fmt: skip
    workflow_id = await publish(pump.pool, pump.tenant_id, doc)
    run_id = await pump.start(workflow_id, {"key": "T-1"})
    await pump.drain()
    pump.ctx.clock.advance(timedelta(seconds=1).total_seconds())
    assert await pump.fire_timers() == 1
    await pump.drain()
    run = await pump.run_row(run_id)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "TIMED_OUT")
    assert run["run_state"]["envelope"]["vars"]["err"]["category"] == "TimeoutError"


async def test_run_updates_tell_every_status_change_once(pump: Pump) -> None:
    doc = waiting_workflow()
    doc["steps"].append({"id": "done", "type": "state.set", "config": {"state": "APPROVED"}})
    workflow_id = await publish(pump.pool, pump.tenant_id, doc)
    run_id = await pump.start(workflow_id, {"key": "U-1"})
    await pump.drain()
    await send(pump, "U-1", {"by": "ann"})
    await pump.drain()
    rows = await pump.fetch(
        "SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = $2 ORDER BY id",
        pump.topics.run_updates,
    )
    bodies = [r["payload"]["body"] for r in rows]
    # the resume command takes the run from WAITING to its end in one transition
    assert [(b["previousStatus"], b["status"]) for b in bodies] == [
        ("RUNNING", "WAITING"), ("WAITING", "SUCCEEDED"),
    ]  # fmt: skip
    assert {b["runId"] for b in bodies} == {run_id}
    assert bodies[0]["nodePath"] == "root.steps[0]"
    assert (bodies[-1]["state"], bodies[-1]["error"]) == ("APPROVED", None)
    assert all(r["payload"]["runId"] == run_id for r in rows)
