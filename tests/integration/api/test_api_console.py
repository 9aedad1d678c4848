"""Routes the operations console needs: bulk controls, run counts per workflow,
events' buffer expiry, the runs that touched a ticket."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from sluice_storage import transaction
from workflows import fails_unless_ok, publish, start, state_only, waits_for_event

pytestmark = pytest.mark.integration


async def test_bulk_cancel_reports_each_run_and_audits_each_with_the_reason(
    admin: httpx.AsyncClient,
) -> None:
    wf = await publish(admin, waits_for_event(f"B_{uuid.uuid4().hex[:8]}"))
    waiting = [(await start(admin, wf, {"key": f"k{i}"}))["runId"] for i in range(3)]
    done = (await start(admin, await publish(admin, state_only()), {}))["runId"]
    unknown = str(uuid.uuid4())
    body = {"action": "cancel", "reason": "incident 42", "runIds": [*waiting, done, unknown]}
    answer = await admin.post("/workflow-runs/bulk", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["succeeded"], result["failed"]) == (3, 2)
    outcomes = {r["runId"]: (r["ok"], r["status"] or r["code"]) for r in result["results"]}
    assert outcomes == {
        **{run: (True, "CANCELED") for run in waiting},
        done: (False, "RUN_STATUS_CONFLICT"), unknown: (False, "NOT_FOUND"),
    }  # fmt: skip
    audit = (await admin.get("/audit-events", params={"target": waiting[0]})).json()["items"]
    assert [(a["action"], a["reason"], a["actor"]) for a in audit] == [
        ("run.cancel", "incident 42", "tester")
    ]


async def test_bulk_needs_admin_a_reason_and_at_most_100_runs(
    admin: httpx.AsyncClient, client_factory: object, token_factory: object
) -> None:
    one = [str(uuid.uuid4())]
    no_reason = await admin.post("/workflow-runs/bulk", json={"action": "retry", "runIds": one})
    assert no_reason.status_code == 422
    too_many = {"action": "retry", "reason": "r", "runIds": [str(uuid.uuid4())] * 101}
    assert (await admin.post("/workflow-runs/bulk", json=too_many)).status_code == 422
    manager = client_factory(await token_factory("workflow.manage"))  # type: ignore[operator]
    body = {"action": "cancel", "reason": "r", "runIds": one}
    assert (await manager.post("/workflow-runs/bulk", json=body)).status_code == 403


async def test_bulk_retry_restarts_failed_runs(admin: httpx.AsyncClient) -> None:
    wf = await publish(admin, fails_unless_ok())
    failed = (await start(admin, wf, {"ok": False}))["runId"]
    body = {"action": "retry", "reason": "flaky", "runIds": [failed]}
    result = (await admin.post("/workflow-runs/bulk", json=body)).json()
    # unedited, it fails again at the same step: retried, and FAILED once more
    assert result["results"] == [
        {"runId": failed, "ok": True, "status": "FAILED", "code": None, "detail": None}
    ]
    steps = (await admin.get(f"/workflow-runs/{failed}/steps")).json()["items"]
    assert [(s["stepId"], s["attempt"]) for s in steps] == [("check", 1), ("check", 2)]


async def test_workflow_summary_puts_the_most_failures_first(admin: httpx.AsyncClient) -> None:
    ok_wf = await publish(admin, state_only())
    picky = await publish(admin, fails_unless_ok())
    for _ in range(3):
        await start(admin, ok_wf, {})
    for ok in (False, False, True):
        await start(admin, picky, {"ok": ok})
    items = (await admin.get("/workflow-runs/summary/workflows")).json()["items"]
    assert [(i["workflowId"], i["counts"]) for i in items] == [
        (picky, {"FAILED": 2, "SUCCEEDED": 1}), (ok_wf, {"SUCCEEDED": 3}),
    ]  # fmt: skip
    assert items[0]["name"] == "picky"
    limited = await admin.get("/workflow-runs/summary/workflows", params={"limit": 1})
    assert len(limited.json()["items"]) == 1


async def test_unmatched_event_shows_its_buffer_expiry(admin: httpx.AsyncClient) -> None:
    name = f"LONELY_{uuid.uuid4().hex[:8]}"
    body = {"eventName": name, "correlationKey": "c1", "payload": {}}
    assert (await admin.post("/workflow/events", json=body)).status_code in (200, 201, 202)
    [event] = (await admin.get("/workflow/events", params={"eventName": name})).json()["items"]
    assert event["matched"] is False
    assert event["expiresAt"] > event["receivedAt"]


async def test_ticket_runs_are_the_invocations_naming_the_ticket(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    ticket_id, run_id, other_run = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with transaction(pool) as conn:
        await conn.execute(
            """INSERT INTO helpdesk_tickets (tenant_id, ticket_id, ticket_number, title)
               VALUES ($1, $2, 'TIC-1', 'Printer')""", tenant_id, ticket_id)  # fmt: skip
        for run, action, output in (
            (run_id, "helpdesk.createTicketFromEmail", {"ticketId": str(ticket_id)}),
            (other_run, "helpdesk.createTicketFromEmail", {"ticketId": str(uuid.uuid4())}),
            (other_run, "test.echo", {"a": 1}),
        ):
            await conn.execute(
                """INSERT INTO action_invocations (tenant_id, invocation_id, action_id,
                     action_version, idempotency_key, run_id, step_id, status, attempt,
                     input, output, started_at)
                   VALUES ($1, $2, $3, 1, $4, $5, 'create', 'SUCCEEDED', 1, '{}', $6, now())""",
                tenant_id, uuid.uuid4(), action, uuid.uuid4().hex, run, output,
            )  # fmt: skip
    runs = (await admin.get(f"/tickets/{ticket_id}/runs")).json()
    assert [(r["runId"], r["actionId"], r["stepId"]) for r in runs] == [
        (str(run_id), "helpdesk.createTicketFromEmail", "create")
    ]
    assert (await admin.get(f"/tickets/{uuid.uuid4()}/runs")).status_code == 404
    mail = await admin.get("/outbound-emails", params={"ticketId": str(ticket_id)})
    assert mail.status_code == 200
    assert mail.json()["items"] == []
