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


async def drain_commands(pool: Any, engine: Any, tenant_id: str) -> int:
    """Play the interpreter for this tenant's queued run commands (no Kafka): apply each
    unsent ``run-commands`` outbox row with the engine, mark it sent; repeat until none."""
    from sluice_engine import apply_command, command_of
    from sluice_messaging.envelope import from_wire

    applied = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT id, payload FROM outbox WHERE tenant_id = $1 AND sent_at IS NULL
                   AND topic = $2 ORDER BY id FOR UPDATE""",
                tenant_id, engine.topics.run_commands,
            )  # fmt: skip
            for row in rows:
                envelope = from_wire(row["payload"], "command")
                await apply_command(
                    conn, engine, tenant_id, str(envelope.run_id), command_of(envelope)
                )
            await conn.execute(
                "UPDATE outbox SET sent_at = now() WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
                tenant_id, [r["id"] for r in rows],
            )  # fmt: skip
        if not rows:
            return applied
        applied += len(rows)
