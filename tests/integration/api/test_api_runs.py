"""Run starts, event routing and operator controls end to end through the engine
(in the request's transaction; no Kafka consumer is needed for these steps)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from workflows import (
    EMAIL_REF,
    drain_commands,
    fails_unless_ok,
    publish,
    start,
    state_only,
    waits_for_event,
)

pytestmark = pytest.mark.integration


async def test_start_run_answers_201_with_the_run(admin: httpx.AsyncClient) -> None:
    wf = await publish(admin, state_only("DONE"))
    run = await start(admin, wf, {})
    assert run["workflowId"] == wf
    assert run["workflowVersion"] == 1
    assert run["status"] in ("RUNNING", "SUCCEEDED")
    fetched = (await admin.get(f"/workflow-runs/{run['runId']}")).json()
    assert fetched["status"] == "SUCCEEDED"
    assert fetched["state"] == "DONE"
    steps = (await admin.get(f"/workflow-runs/{run['runId']}/steps")).json()["items"]
    assert [(s["stepId"], s["status"]) for s in steps][-1] == ("s1", "SUCCEEDED")
    snapshots = (await admin.get(f"/workflow-runs/{run['runId']}/snapshots")).json()["items"]
    assert snapshots[-1]["envelope"]["meta"]["state"] == "DONE"


async def test_invalid_payload_is_422_with_pointers_and_no_run(admin: httpx.AsyncClient) -> None:
    wf = await publish(admin, state_only(payloadSchemaRef=EMAIL_REF))
    response = await admin.post(
        "/workflow-runs", json={"workflowId": wf, "payload": {"providerId": 7}}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "INVALID_PAYLOAD"
    assert {e["pointer"] for e in body["errors"]} >= {"/payload/providerId"}
    runs = (await admin.get("/workflow-runs", params={"workflowId": wf})).json()
    assert runs["items"] == []


async def test_unknown_workflow_or_version_is_404(admin: httpx.AsyncClient) -> None:
    missing = await admin.post("/workflow-runs", json={"workflowId": str(uuid.uuid4())})
    assert missing.status_code == 404
    wf = await publish(admin, state_only())
    no_version = await admin.post("/workflow-runs", json={"workflowId": wf, "version": 9})
    assert no_version.status_code == 404


async def test_event_triggers_a_run_before_the_response(admin: httpx.AsyncClient) -> None:
    event_name = f"EV_{uuid.uuid4().hex[:8]}"
    wf = await publish(admin, state_only(trigger={"type": "event", "eventName": event_name}))
    routed = await admin.post(
        "/workflow/events", json={"eventName": event_name, "correlationKey": 42, "payload": {}}
    )
    assert routed.status_code == 201, routed.text
    body = routed.json()
    assert len(body["startedRunIds"]) == 1
    assert body["resumedRunId"] is None
    run = (await admin.get(f"/workflow-runs/{body['startedRunIds'][0]}")).json()
    assert run["workflowId"] == wf
    listed = (await admin.get("/workflow/events")).json()["items"]
    assert listed[0]["eventId"] == body["eventId"]
    assert listed[0]["correlationKey"] == "42"
    assert listed[0]["startedRunIds"] == body["startedRunIds"]


async def test_event_resumes_the_waiting_run_with_assign(
    admin: httpx.AsyncClient, pool: object, tenant_id: str, api_app: Any
) -> None:
    event_name = f"OK_{uuid.uuid4().hex[:8]}"
    wf = await publish(admin, waits_for_event(event_name))
    run = await start(admin, wf, {"key": "k1"})
    assert (await admin.get(f"/workflow-runs/{run['runId']}")).json()["status"] == "WAITING"
    routed = await admin.post(
        "/workflow/events",
        json={"eventName": event_name, "correlationKey": "k1", "payload": {"ok": True}},
    )
    assert routed.json()["resumedRunId"] == run["runId"]
    # The resume itself is a command for the interpreter, committed with the routing.
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        queued = await conn.fetch(
            """SELECT payload FROM outbox WHERE tenant_id = $1 AND key = $2
               AND payload->'body'->>'type' = 'ResumeWait'""",
            tenant_id,
            run["runId"],
        )
    assert len(queued) == 1
    # Played as the interpreter would: the run resumes, assigns from the event, finishes.
    assert await drain_commands(pool, api_app.state.context.engine, tenant_id) >= 1
    done = (await admin.get(f"/workflow-runs/{run['runId']}")).json()
    assert (done["status"], done["state"]) == ("SUCCEEDED", "APPROVED")
    snapshots = (await admin.get(f"/workflow-runs/{run['runId']}/snapshots")).json()["items"]
    assert snapshots[-1]["envelope"]["vars"]["ok"] is True
    waits = (await admin.get(f"/workflow-runs/{run['runId']}/waits")).json()["items"]
    assert [w["status"] for w in waits] == ["RESOLVED"]
    events = (await admin.get(f"/workflow-runs/{run['runId']}/events")).json()["items"]
    assert [e["eventId"] for e in events] == [routed.json()["eventId"]]


async def test_cancel_needs_a_reason_and_is_audited(
    admin: httpx.AsyncClient, pool: object, tenant_id: str
) -> None:
    wf = await publish(admin, waits_for_event(f"X_{uuid.uuid4().hex[:8]}"))
    run = await start(admin, wf, {"key": "k"})
    no_reason = await admin.post(f"/workflow-runs/{run['runId']}/cancel", json={})
    assert no_reason.status_code == 422
    canceled = await admin.post(f"/workflow-runs/{run['runId']}/cancel", json={"reason": "test"})
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "CANCELED"
    again = await admin.post(f"/workflow-runs/{run['runId']}/cancel", json={"reason": "twice"})
    assert again.status_code == 409
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        audited = await conn.fetch(
            "SELECT action, reason FROM audit_log WHERE tenant_id = $1 AND target = $2",
            tenant_id,
            run["runId"],
        )
    assert [(a["action"], a["reason"]) for a in audited] == [("run.cancel", "test")]


async def test_resume_wakes_an_event_wait_with_the_given_payload(
    admin: httpx.AsyncClient,
) -> None:
    wf = await publish(admin, waits_for_event(f"R_{uuid.uuid4().hex[:8]}"))
    run = await start(admin, wf, {"key": "k"})
    resumed = await admin.post(
        f"/workflow-runs/{run['runId']}/resume", json={"reason": "ops", "payload": {"ok": 1}}
    )
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "SUCCEEDED"
    waits = (await admin.get(f"/workflow-runs/{run['runId']}/waits")).json()["items"]
    assert waits[0]["resolvedBy"] == "operator:tester"


async def test_delay_shows_as_a_timer_wait_and_resume_ends_it_early(
    admin: httpx.AsyncClient,
) -> None:
    doc = {"name": "delay", "steps": [
        {"id": "pause", "type": "timer.delay", "config": {"durationMs": 3_600_000}},
        {"id": "s1", "type": "state.set", "config": {"state": "AFTER_DELAY"}},
    ]}  # fmt: skip
    run = await start(admin, await publish(admin, doc), {})
    assert run["status"] == "WAITING"
    waits = (await admin.get(f"/workflow-runs/{run['runId']}/waits")).json()["items"]
    assert [(w["kind"], w["status"], w["stepId"]) for w in waits] == [("timer", "OPEN", "pause")]
    resumed = await admin.post(f"/workflow-runs/{run['runId']}/resume", json={"reason": "ops"})
    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["status"], resumed.json()["state"]) == ("SUCCEEDED", "AFTER_DELAY")
    waits = (await admin.get(f"/workflow-runs/{run['runId']}/waits")).json()["items"]
    assert [(w["status"], w["resolvedBy"]) for w in waits] == [("FIRED", "operator:tester")]


async def test_replay_starts_a_new_run_and_retry_needs_a_failed_run(
    admin: httpx.AsyncClient,
) -> None:
    wf = await publish(admin, state_only())
    run = await start(admin, wf, {"a": 1})
    replayed = await admin.post(f"/workflow-runs/{run['runId']}/replay", json={"reason": "again"})
    assert replayed.status_code == 201, replayed.text
    assert replayed.json()["runId"] != run["runId"]
    assert replayed.json()["workflowVersion"] == 1
    retried = await admin.post(f"/workflow-runs/{run['runId']}/retry", json={"reason": "x"})
    assert retried.status_code == 409  # SUCCEEDED, not FAILED


async def test_retry_restarts_a_failed_run_with_an_edited_payload(
    admin: httpx.AsyncClient,
) -> None:
    run = await start(admin, await publish(admin, fails_unless_ok()), {"ok": False})
    failed = (await admin.get(f"/workflow-runs/{run['runId']}")).json()
    assert failed["status"] == "FAILED"
    assert failed["error"]["category"] == "ExpressionError"
    retried = await admin.post(
        f"/workflow-runs/{run['runId']}/retry", json={"reason": "fixed", "payload": {"ok": True}}
    )
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["state"]) == ("SUCCEEDED", "OK")
    # completedAt is the new finish, not the failed attempt's
    assert retried.json()["completedAt"] > failed["completedAt"]
    steps = (await admin.get(f"/workflow-runs/{run['runId']}/steps")).json()["items"]
    assert [(s["stepId"], s["attempt"], s["status"]) for s in steps][:2] == [
        ("check", 1, "FAILED"), ("check", 2, "SUCCEEDED"),
    ]  # fmt: skip
