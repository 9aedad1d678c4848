"""``POST /workflow-definitions/{id}/draft/shadow-runs`` on the real stack: real runs of the
reference email workflow (engine, help-desk actions, PostgreSQL: ``Pump`` plays the
interpreter), then a draft that changes a branch, replayed through the API.

Asserts the changed outcome, the recorded answers used, the secrets masked, and that
nothing was written: no run, invocation, outbound mail, ticket, history or outbox row.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from integration.engine.engine_harness import Pump
from sluice_engine import ActionHandlers, EngineContext, load_plugins
from sluice_helpdesk.seeding import DEMO_CONTACT_EMAIL, seed_tenant
from sluice_messaging.topics import Topics
from sluice_storage import transaction
from workflow_core.registry import create_registry

pytestmark = pytest.mark.integration
SHADOW = "/workflow-definitions/{}/draft/shadow-runs"
# Every table a run, an action or the help desk writes (tenant-scoped counts).
TABLES = (
    "workflow_runs", "action_invocations", "action_jobs", "helpdesk_outbound_emails",
    "helpdesk_tickets", "helpdesk_comments", "run_steps", "run_snapshots", "run_waits",
    "run_logs", "outbox", "human_tasks", "applied_commands", "events", "audit_log",
)  # fmt: skip


@pytest.fixture
async def pump(pool: asyncpg.Pool, tenant_id: str) -> Pump:
    registry, handlers = create_registry(), ActionHandlers()
    load_plugins("", registry, handlers)
    ctx = EngineContext(registry=registry.freeze(), topics=Topics.from_prefix("wfs."))
    async with transaction(pool) as conn:
        report = await seed_tenant(conn, tenant_id, ctx.registry, datetime.now(UTC))
    created = Pump(pool, ctx, handlers.freeze(), tenant_id, ctx.topics)
    created.workflow_id = report.workflow_id  # type: ignore[attr-defined]
    return created


def email(message_id: str, sender: str = DEMO_CONTACT_EMAIL, **extra: Any) -> dict[str, Any]:
    data = {"id": message_id, "from": {"email": sender}, "subject": f"Printer {message_id}",
            "body": {"text": "It jams."}, **extra}  # fmt: skip
    return {"emailData": data, "providerId": "default"}


async def finished_run(pump: Pump, payload: dict[str, Any]) -> str:
    run_id = await pump.start(pump.workflow_id, payload)  # type: ignore[attr-defined]
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"
    return run_id


async def counts(pump: Pump) -> dict[str, int]:
    found = {}
    for table in TABLES:
        rows = await pump.fetch(f"SELECT count(*) AS n FROM {table} WHERE tenant_id = $1")
        found[table] = int(rows[0]["n"])
    return found


def edit(steps: list[Any], step_id: str, change: Callable[[dict[str, Any]], None]) -> bool:
    for step in steps:
        if step["id"] == step_id:
            change(step)
            return True
        for branch in ("then", "else", "try", "catch", "body"):
            if branch in step and edit(step[branch], step_id, change):
                return True
    return False


def acknowledge_every_contact(step: dict[str, Any]) -> None:
    """The branch under test: acknowledge auto-submitted mail too, and say when no
    acknowledgement goes out (unknown senders)."""
    step["condition"] = {"$expr": "vars.contact.found = true"}
    step["else"] = [{"id": "state_no_ack", "type": "state.set", "config": {"state": "NO_ACK_SENT"}}]


async def save_draft(client: httpx.AsyncClient, workflow_id: str, document: dict[str, Any]) -> None:
    saved = await client.put(f"/workflow-definitions/{workflow_id}/draft", json=document)
    assert saved.status_code == 200, saved.text


async def test_a_changed_branch_is_shadowed_on_recorded_runs_and_writes_nothing(
    pump: Pump, client_factory: Any, token_factory: Any
) -> None:
    known = await finished_run(pump, email("k1@cust.test"))
    stranger = await finished_run(pump, email("s1@else.test", sender="stranger@else.test"))
    automatic = await finished_run(pump, email("a1@cust.test", autoSubmitted=True))
    [ack] = await pump.fetch("SELECT * FROM helpdesk_outbound_emails WHERE tenant_id = $1")
    reply_token = ack["body_text"].split("Reference: ")[1].split("]")[0] + "]"
    [ticket] = await pump.fetch(
        "SELECT ticket_id FROM helpdesk_tickets WHERE tenant_id = $1 AND title = $2",
        "Printer k1@cust.test",
    )
    workflow_id = pump.workflow_id  # type: ignore[attr-defined]
    client = client_factory(await token_factory("workflow.manage"))
    draft = (await client.get(f"/workflow-definitions/{workflow_id}/draft")).json()["definition"]
    document = copy.deepcopy(draft)
    assert edit(document["steps"], "maybe_ack", acknowledge_every_contact)
    await save_draft(client, workflow_id, document)
    before = await counts(pump)

    response = await client.post(SHADOW.format(workflow_id), json={"sample": 10})

    assert response.status_code == 200, response.text
    report = response.json()
    assert await counts(pump) == before  # no run, invocation, mail, history, outbox, audit row
    assert await pump.drain() == 0
    assert reply_token not in response.text  # x-sensitive output, masked as the API masks it
    assert report["summary"] == {
        "runs": 3, "outcomeChanged": 1, "unchanged": 1, "withUnrecordedCalls": 1,
        "withChangedInputs": 0, "refused": 0, "incomplete": 0,
    }  # fmt: skip
    runs = {run["runId"]: run for run in report["runs"]}
    assert list(runs) == [automatic, stranger, known]  # newest first

    same = runs[known]
    assert (same["outcomeChanged"], same["changes"], same["notCalled"]) == (False, [], [])
    assert {c["answer"] for c in same["calls"]} == {"RECORDED"}
    created = next(c for c in same["calls"] if c["actionId"] == "create_ticket_from_email")
    assert created["output"]["ticketId"] == str(ticket["ticket_id"])  # the recorded answer
    assert created["output"]["replyToken"] == "***"
    assert [c["actionId"] for c in same["calls"]][-1] == "send_ticket_acknowledgement_email"

    changed = runs[stranger]
    assert changed["outcomeChanged"]
    assert (changed["past"]["state"], changed["draft"]["state"]) == (
        "EMAIL_PROCESSED",
        "NO_ACK_SENT",
    )
    assert {"pointer": "/meta/state", "kind": "changed", "before": "EMAIL_PROCESSED",
            "after": "NO_ACK_SENT"} in changed["changes"]  # fmt: skip

    acked = runs[automatic]
    assert not acked["outcomeChanged"]
    [new_call] = [c for c in acked["calls"] if c["answer"] != "RECORDED"]
    assert (new_call["actionId"], new_call["answer"], new_call["output"]) == (
        "send_ticket_acknowledgement_email", "NO_RECORDING", None)  # fmt: skip
    assert new_call["input"]["to"] == DEMO_CONTACT_EMAIL


async def test_named_runs_are_checked_and_a_draft_must_validate(
    pump: Pump, client_factory: Any, token_factory: Any, admin: httpx.AsyncClient
) -> None:
    run_id = await finished_run(pump, email("n1@cust.test"))
    workflow_id = pump.workflow_id  # type: ignore[attr-defined]
    viewer = client_factory(await token_factory("workflow.view"))
    assert (await viewer.post(SHADOW.format(workflow_id), json={"sample": 1})).status_code == 403
    url = SHADOW.format(workflow_id)
    one = await admin.post(url, json={"runIds": [run_id, run_id]})  # duplicates count once
    assert one.status_code == 200, one.text
    assert [r["runId"] for r in one.json()["runs"]] == [run_id]
    missing = await admin.post(url, json={"runIds": [str(uuid.uuid4())]})
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    unfinished = await pump.start(workflow_id, email("n2@cust.test"))  # not drained: RUNNING
    busy = await admin.post(url, json={"runIds": [unfinished]})
    assert (busy.status_code, busy.json()["code"]) == (409, "RUN_NOT_FINISHED")
    await pump.drain()
    other = await admin.post("/workflow-definitions", json={"name": "other", "steps": [
        {"id": "s", "type": "state.set", "config": {"state": "X"}}]})  # fmt: skip
    foreign = await admin.post(SHADOW.format(other.json()["id"]), json={"runIds": [run_id]})
    assert (foreign.status_code, foreign.json()["errors"][0]["pointer"]) == (422, "/runIds/0")
    both = await admin.post(url, json={"sample": 1, "runIds": [run_id]})
    assert both.status_code == 422
    unknown = {"actionId": "no_such_action", "version": 1}
    await save_draft(admin, workflow_id, {"name": "broken", "steps": [
        {"id": "s", "type": "action.call", "config": unknown}]})  # fmt: skip
    invalid = await admin.post(url, json={"sample": 5})
    assert (invalid.status_code, invalid.json()["code"]) == (422, "DRAFT_INVALID")
    assert "no_such_action" in invalid.text
