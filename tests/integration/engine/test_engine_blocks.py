"""onError, forEach, callWorkflow, human tasks and cancel through the real shell."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from engine_harness import Pump, publish
from sluice_engine import CommandRejectedError, apply_command, complete_human_task, new_command_id
from sluice_storage import transaction
from workflow_core.interpreter.commands import CancelRun

pytestmark = pytest.mark.integration


def call(
    step_id: str, action: str, args: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"id": step_id, "type": "action.call",
            "config": {"actionId": action, "version": 1, "args": args or {}}, **extra}  # fmt: skip


async def test_on_error_continue_records_last_error_and_goes_on(pump: Pump) -> None:
    doc = {"name": "continue", "steps": [
        call("bad", "test.fail", {"message": "nope"}, onError={"policy": "continue"}),
        {"id": "s", "type": "state.set", "config": {"state": "AFTER"}},
    ]}  # fmt: skip
    run_id = await pump.start(await publish(pump.pool, pump.tenant_id, doc), {})
    await pump.drain()
    run = await pump.run_row(run_id)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "AFTER")
    assert run["run_state"]["envelope"]["vars"]["lastError"]["message"] == "nope"


async def test_for_each_with_a_failing_item_continues_under_continue(pump: Pump) -> None:
    body = [{"id": "if", "type": "control.if", "condition": {"$expr": "vars.it = 2"},
             "then": [call("bad", "test.fail")], "else": [call("rec", "test.record")]}]  # fmt: skip
    doc = {"name": "loop", "steps": [{
        "id": "loop", "type": "control.forEach", "items": {"$expr": "[1, 2, 3]"},
        "itemVar": "it", "onItemError": "continue", "body": body,
    }]}  # fmt: skip
    run_id = await pump.start(await publish(pump.pool, pump.tenant_id, doc), {})
    await pump.drain()
    run = await pump.run_row(run_id)
    assert run["status"] == "SUCCEEDED"
    errors = run["run_state"]["envelope"]["vars"]["itErrors"]
    assert [e["index"] for e in errors] == [1]
    rows = await pump.fetch(
        "SELECT idempotency_key FROM test_action_rows WHERE tenant_id = $1 ORDER BY 1"
    )
    assert [r["idempotency_key"] for r in rows] == [f"{run_id}:rec:0", f"{run_id}:rec:2"]


async def test_call_workflow_runs_the_child_and_maps_its_output(pump: Pump) -> None:
    child = {"name": "child", "steps": [
        {"id": "c", "type": "transform.assign",
         "config": {"assign": {"vars.doubled": {"$expr": "payload.n * 2"}}}},
        call("rec", "test.record"),
    ]}  # fmt: skip
    child_id = await publish(pump.pool, pump.tenant_id, child)
    parent = {"name": "parent", "steps": [{
        "id": "call", "type": "control.callWorkflow", "workflowId": child_id,
        "inputMapping": {"n": {"$expr": "payload.n"}},
        "outputMapping": {"vars.result": {"$expr": "vars.doubled"}},
    }]}  # fmt: skip
    run_id = await pump.start(await publish(pump.pool, pump.tenant_id, parent), {"n": 21})
    await pump.drain()
    run = await pump.run_row(run_id)
    assert run["status"] == "SUCCEEDED"
    assert run["run_state"]["envelope"]["vars"]["result"] == 42
    children = await pump.fetch(
        """SELECT status, parent_run_id FROM workflow_runs
           WHERE tenant_id = $1 AND parent_run_id IS NOT NULL"""
    )
    assert [(c["status"], str(c["parent_run_id"])) for c in children] == [("SUCCEEDED", run_id)]


async def test_cancel_during_a_wait_releases_it(pump: Pump) -> None:
    doc = {"name": "w", "steps": [{"id": "w", "type": "event.wait",
           "config": {"eventName": "E", "correlationKey": {"$expr": "'k'"}}}]}  # fmt: skip
    run_id = await pump.start(await publish(pump.pool, pump.tenant_id, doc), {})
    await pump.drain()
    command = CancelRun(command_id=new_command_id(), now=pump.ctx.clock(), reason="operator")
    async with transaction(pump.pool) as conn:
        await apply_command(conn, pump.ctx, pump.tenant_id, run_id, command)
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "CANCELED"
    waits = await pump.fetch("SELECT status FROM run_waits WHERE tenant_id = $1")
    assert [w["status"] for w in waits] == ["CANCELED"]


async def test_human_task_refuses_invalid_output_then_accepts_valid(pump: Pump) -> None:
    form = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}
    doc = {"name": "task", "steps": [{"id": "t", "type": "human.task", "config": {
        "taskType": "review", "title": {"$expr": "'Review'"}, "formSchema": form,
        "saveAs": "vars.review"}}]}  # fmt: skip
    run_id = await pump.start(await publish(pump.pool, pump.tenant_id, doc), {})
    await pump.drain()
    tasks = await pump.fetch("SELECT task_id, status FROM human_tasks WHERE tenant_id = $1")
    task_id = str(tasks[0]["task_id"])
    with pytest.raises(CommandRejectedError):
        async with transaction(pump.pool) as conn:
            await complete_human_task(conn, pump.ctx, pump.tenant_id, task_id, {"ok": "yes"}, "ann")
    assert (await pump.fetch("SELECT status FROM human_tasks WHERE tenant_id = $1"))[0][
        "status"
    ] == "OPEN"
    async with transaction(pump.pool) as conn:
        done = await complete_human_task(
            conn, pump.ctx, pump.tenant_id, task_id, {"ok": True}, "ann"
        )
    assert done.status == "COMPLETED"
    await pump.drain()
    run = await pump.run_row(run_id)
    assert run["status"] == "SUCCEEDED"
    assert run["run_state"]["envelope"]["vars"]["review"] == {"ok": True}
    assert uuid.UUID(task_id)
