"""``Idempotency-Key`` on run starts and event submissions (SPEC 13)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from workflows import publish, state_only

pytestmark = pytest.mark.integration


async def test_same_key_same_body_starts_one_run(admin: httpx.AsyncClient) -> None:
    wf = await publish(admin, state_only())
    headers = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"workflowId": wf, "payload": {"n": 1}}
    first = await admin.post("/workflow-runs", json=body, headers=headers)
    second = await admin.post("/workflow-runs", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    runs = (await admin.get("/workflow-runs", params={"workflowId": wf})).json()["items"]
    assert len(runs) == 1


async def test_concurrent_requests_with_one_key_start_one_run(admin: httpx.AsyncClient) -> None:
    wf = await publish(admin, state_only())
    headers = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"workflowId": wf, "payload": {}}
    answers = await asyncio.gather(
        *(admin.post("/workflow-runs", json=body, headers=headers) for _ in range(5))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["runId"] for a in answers}) == 1
    runs = (await admin.get("/workflow-runs", params={"workflowId": wf})).json()["items"]
    assert len(runs) == 1


async def test_same_key_different_body_is_refused(admin: httpx.AsyncClient) -> None:
    wf = await publish(admin, state_only())
    headers = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"workflowId": wf, "payload": {"n": 1}}
    await admin.post("/workflow-runs", json=body, headers=headers)
    other = await admin.post(
        "/workflow-runs", json={"workflowId": wf, "payload": {"n": 2}}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "different request body" in other.json()["detail"]


async def test_failed_request_does_not_consume_the_key(admin: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    missing = {"workflowId": str(uuid.uuid4()), "payload": {}}
    assert (await admin.post("/workflow-runs", json=missing, headers=headers)).status_code == 404
    wf = await publish(admin, state_only())
    ok = await admin.post("/workflow-runs", json={"workflowId": wf, "payload": {}}, headers=headers)
    assert ok.status_code == 201


async def test_event_submission_honours_the_header_and_the_body_key(
    admin: httpx.AsyncClient,
) -> None:
    event = {"eventName": f"E_{uuid.uuid4().hex[:8]}", "correlationKey": "c", "payload": {}}
    headers = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await admin.post("/workflow/events", json=event, headers=headers)
    again = await admin.post("/workflow/events", json=event, headers=headers)
    assert first.json()["eventId"] == again.json()["eventId"]
    keyed = {**event, "idempotencyKey": f"body-{uuid.uuid4()}"}
    one = await admin.post("/workflow/events", json=keyed)
    two = await admin.post("/workflow/events", json=keyed)
    assert (one.status_code, two.status_code) == (201, 200)
    assert two.json()["duplicate"] is True
    assert one.json()["eventId"] == two.json()["eventId"]


async def test_keys_are_per_tenant(
    client_factory: object, token_factory: object, admin: httpx.AsyncClient
) -> None:
    other = client_factory(  # type: ignore[operator]
        await token_factory("workflow.admin", tenant=f"t-{uuid.uuid4().hex[:12]}")  # type: ignore[operator]
    )
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    mine = await publish(admin, state_only())
    theirs = await publish(other, state_only())
    a = await admin.post("/workflow-runs", json={"workflowId": mine}, headers=key)
    b = await other.post("/workflow-runs", json={"workflowId": theirs}, headers=key)
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["runId"] != b.json()["runId"]
