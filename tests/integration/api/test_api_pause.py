"""Pausing a workflow (issue 19's flow control): triggers start no runs while it is
paused, events are held and start their runs on unpause (in arrival order, with the
ids routing would have given them), API starts get a clear 409, both are audited."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from workflows import fails_unless_ok, publish, state_only

pytestmark = pytest.mark.integration


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


async def test_paused_workflow_holds_events_refuses_starts_and_releases_on_unpause(
    admin: httpx.AsyncClient,
) -> None:
    event_name = f"PAUSE_{uuid.uuid4().hex[:8]}"
    wf = await publish(admin, state_only(trigger={"type": "event", "eventName": event_name}))
    paused = await admin.post(f"/workflow-definitions/{wf}/pause", json={"reason": "CRM down"})
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"]["reason"] == "CRM down"
    listed = (await admin.get("/workflow-definitions")).json()["items"]
    assert next(d for d in listed if d["id"] == wf)["paused"]["reason"] == "CRM down"
    again = await admin.post(f"/workflow-definitions/{wf}/pause", json={"reason": "twice"})
    _problem(again, 409, "ALREADY_PAUSED")

    refused = await admin.post("/workflow-runs", json={"workflowId": wf, "payload": {}})
    assert "paused" in _problem(refused, 409, "WORKFLOW_PAUSED")["detail"]
    held_ids = []
    for key in ("first", "second"):
        routed = await admin.post(
            "/workflow/events", json={"eventName": event_name, "correlationKey": key}
        )
        assert routed.status_code == 201, routed.text
        assert routed.json()["startedRunIds"] == []  # held, not started, not lost
        held_ids.append(routed.json()["eventId"])
    runs = (await admin.get("/workflow-runs", params={"workflowId": wf})).json()["items"]
    assert runs == []

    unpaused = await admin.post(f"/workflow-definitions/{wf}/unpause", json={"reason": "back"})
    assert unpaused.status_code == 200, unpaused.text
    started = unpaused.json()["startedRunIds"]
    assert len(started) == 2
    for run_id, event_id in zip(started, held_ids, strict=True):  # arrival order
        run = (await admin.get(f"/workflow-runs/{run_id}")).json()
        assert (run["workflowId"], run["triggerEventId"]) == (wf, event_id)
        assert run["status"] == "SUCCEEDED"
    events = (await admin.get("/workflow/events")).json()["items"]
    by_id = {e["eventId"]: e for e in events}
    assert [by_id[e]["startedRunIds"] for e in held_ids] == [[r] for r in started]
    not_paused = await admin.post(f"/workflow-definitions/{wf}/unpause", json={"reason": "x"})
    _problem(not_paused, 409, "NOT_PAUSED")
    # Running again: a new event starts its run at once, an API start works.
    routed = await admin.post("/workflow/events", json={"eventName": event_name,
                                                          "correlationKey": "third"})  # fmt: skip
    assert len(routed.json()["startedRunIds"]) == 1
    assert (await admin.post("/workflow-runs", json={"workflowId": wf})).status_code == 201

    audit = (await admin.get("/audit-events", params={"target": wf})).json()["items"]
    actions = {e["action"]: e for e in audit}
    assert actions["definition.pause"]["reason"] == "CRM down"
    assert actions["definition.unpause"]["details"]["startedRuns"] == 2


async def test_pause_needs_a_reason_a_known_workflow_and_the_publish_role(
    admin: httpx.AsyncClient, client_factory: Any, token_factory: Any
) -> None:
    wf = await publish(admin, state_only())
    no_reason = await admin.post(f"/workflow-definitions/{wf}/pause", json={})
    assert no_reason.status_code == 422
    unknown = await admin.post(f"/workflow-definitions/{uuid.uuid4()}/pause", json={"reason": "r"})
    assert unknown.status_code == 404
    viewer = client_factory(await token_factory("workflow.view"))
    assert (await viewer.post(f"/workflow-definitions/{wf}/pause",
                              json={"reason": "r"})).status_code == 403  # fmt: skip


async def test_auto_pause_pauses_a_workflow_whose_failure_rate_passes_its_threshold(
    admin: httpx.AsyncClient,
) -> None:
    rule = {"failureRate": 0.5, "window": "PT5M", "minRuns": 4}
    wf = await publish(admin, fails_unless_ok() | {"autoPause": rule})
    outcomes = []
    for ok in (True, False, False):  # 2 of 3 failed: 67 %, but fewer than 4 runs
        run = await admin.post("/workflow-runs", json={"workflowId": wf, "payload": {"ok": ok}})
        outcomes.append(run.json()["status"])
    assert outcomes == ["SUCCEEDED", "FAILED", "FAILED"]
    listed = (await admin.get("/workflow-definitions")).json()["items"]
    assert next(d for d in listed if d["id"] == wf)["paused"] is None
    ok = await admin.post("/workflow-runs", json={"workflowId": wf, "payload": {"ok": True}})
    assert ok.json()["status"] == "SUCCEEDED"  # 2 of 4: a success does not pause it
    failed = await admin.post("/workflow-runs", json={"workflowId": wf, "payload": {}})
    assert failed.json()["status"] == "FAILED"  # 3 of 5 failed, 60 % >= 50 %: paused

    listed = (await admin.get("/workflow-definitions")).json()["items"]
    paused = next(d for d in listed if d["id"] == wf)["paused"]
    assert paused["by"] == "system:auto-pause"
    assert paused["reason"] == (
        "auto-pause: 3 of 5 runs failed in the last PT5M (failure rate 60% >= 50%, at least 4 runs)"
    )
    refused = await admin.post("/workflow-runs", json={"workflowId": wf, "payload": {"ok": True}})
    _problem(refused, 409, "WORKFLOW_PAUSED")
    audit = (await admin.get("/audit-events", params={"target": wf})).json()["items"]
    entry = next(e for e in audit if e["action"] == "definition.pause")
    assert (entry["actor"], entry["reason"]) == ("system:auto-pause", paused["reason"])
    assert entry["details"] == {"automatic": True}
    metrics = (await admin.get("/metrics")).text
    series = f'tenant="{entry["tenantId"]}",workflow="{wf}"'
    assert f"sluice_workflows_auto_paused_total{{{series}}} 1.0" in metrics
    unpaused = await admin.post(f"/workflow-definitions/{wf}/unpause", json={"reason": "fixed"})
    assert unpaused.status_code == 200, unpaused.text
    # Afresh after the unpause: one failure (1 of 1, fewer than 4 runs) does not pause it.
    again = await admin.post("/workflow-runs", json={"workflowId": wf, "payload": {}})
    assert again.json()["status"] == "FAILED"
    listed = (await admin.get("/workflow-definitions")).json()["items"]
    assert next(d for d in listed if d["id"] == wf)["paused"] is None
