"""Definitions and HTTP helpers shared by the API tests that run workflows."""

from __future__ import annotations

from typing import Any

import httpx

EMAIL_REF = "payload.EmailWorkflowPayload.v1"


def state_only(state: str = "DONE", **extra: Any) -> dict[str, Any]:
    return {"name": "state only", "steps": [
        {"id": "s1", "type": "state.set", "config": {"state": state}}], **extra}  # fmt: skip


def waits_for_event(event_name: str) -> dict[str, Any]:
    return {"name": "waits", "steps": [
        {"id": "w", "type": "event.wait", "config": {
            "eventName": event_name, "correlationKey": {"$expr": "payload.key"},
            "assign": {"vars.ok": {"$expr": "event.payload.ok"}}}},
        {"id": "done", "type": "state.set", "config": {"state": "APPROVED"}},
    ]}  # fmt: skip


def asks_a_human() -> dict[str, Any]:
    form = {
        "type": "object",
        "required": ["decision"],
        "additionalProperties": False,
        "properties": {"decision": {"enum": ["yes", "no"]}, "note": {"type": "string"}},
    }
    return {"name": "asks", "steps": [
        {"id": "ask", "type": "human.task", "config": {
            "taskType": "review", "title": {"$expr": "'Review ' & payload.key"},
            "formSchema": form, "saveAs": "vars.review"}},
        {"id": "done", "type": "state.set", "config": {"state": "REVIEWED"}},
    ]}  # fmt: skip


async def publish(client: httpx.AsyncClient, draft: dict[str, Any]) -> str:
    """Create and publish; returns the workflow id (fails loudly on publish errors)."""
    created = await client.post("/workflow-definitions", json=draft)
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    published = await client.post(f"/workflow-definitions/{workflow_id}/draft/publish")
    assert published.json()["ok"], published.text
    return workflow_id


async def start(client: httpx.AsyncClient, workflow_id: str, payload: dict[str, Any]) -> Any:
    response = await client.post(
        "/workflow-runs", json={"workflowId": workflow_id, "payload": payload}
    )
    assert response.status_code == 201, response.text
    return response.json()


def fails_unless_ok() -> dict[str, Any]:
    """Fails with an ExpressionError unless ``payload.ok`` is true."""
    return {"name": "picky", "steps": [
        {"id": "check", "type": "transform.assign", "config": {
            "assign": {"vars.checked": {"$expr": "$assert(payload.ok = true, 'not ok')"}}}},
        {"id": "done", "type": "state.set", "config": {"state": "OK"}},
    ]}  # fmt: skip
