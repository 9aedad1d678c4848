"""The audit log as an auditor reads it: definition changes recorded with a step diff,
filters and cursors, CSV/JSONL export, and append-only enforced by the database."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]
STEP = {"id": "s1", "type": "state.set", "config": {"state": "A"}}


async def _edit_and_publish(client: httpx.AsyncClient) -> str:
    created = await client.post("/workflow-definitions", json={"name": "Audited", "steps": [STEP]})
    workflow_id = created.json()["id"]
    published = await client.post(f"/workflow-definitions/{workflow_id}/draft/publish")
    assert published.json()["ok"] is True, published.text
    changed = {**STEP, "config": {"state": "B"}}
    added = {"id": "s2", "type": "state.set", "config": {"state": "C"}}
    draft = {"name": "Audited", "steps": [changed, added]}
    assert (await client.put(f"/workflow-definitions/{workflow_id}/draft", json=draft)).is_success
    assert (await client.post(f"/workflow-definitions/{workflow_id}/draft/publish")).is_success
    return str(workflow_id)


async def test_definition_changes_are_audited_with_actor_role_and_step_diff(
    client_factory: ClientFactory, token_factory: TokenFactory, tenant_id: str
) -> None:
    publisher = client_factory(await token_factory("workflow.publish", subject="ada"))
    workflow_id = await _edit_and_publish(publisher)
    listed = await publisher.get("/audit-events", params={"target": workflow_id})
    assert listed.status_code == 200, listed.text
    entries = listed.json()["items"]
    assert [e["action"] for e in entries] == [
        "definition.publish", "definition.update", "definition.publish", "definition.create",
    ]  # fmt: skip
    newest = entries[0]
    assert newest["actor"] == "ada"
    assert newest["role"] == "workflow.publish"
    assert newest["tenantId"] == tenant_id
    assert newest["details"]["version"] == 2
    assert newest["details"]["changes"] == {"added": ["s2"], "changed": ["s1"]}
    assert entries[2]["details"]["changes"] == {"added": ["s1"], "fields": ["name"]}
    assert len(newest["details"]["draftHash"]) == 32
    assert entries[1]["details"]["changes"] == {"added": ["s2"], "changed": ["s1"]}


async def test_filters_prefix_actor_time_and_cursor(
    client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    ada = client_factory(await token_factory("workflow.publish", subject="ada"))
    bob = client_factory(await token_factory("workflow.publish", subject="bob"))
    await _edit_and_publish(ada)
    await _edit_and_publish(bob)
    by_bob = (await ada.get("/audit-events", params={"actor": "bob"})).json()["items"]
    assert len(by_bob) == 4
    assert {e["actor"] for e in by_bob} == {"bob"}
    publishes = (await ada.get("/audit-events", params={"action": "definition.publish"})).json()
    assert len(publishes["items"]) == 4
    prefixed = (await ada.get("/audit-events", params={"action": "definition."})).json()
    assert len(prefixed["items"]) == 8
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    none_yet = await ada.get("/audit-events", params={"from": future})
    assert none_yet.json()["items"] == []
    assert len((await ada.get("/audit-events", params={"to": future})).json()["items"]) == 8
    for path in ("/audit-events", "/audit-events/export"):  # a number is no instant (schemathesis)
        refused = await ada.get(path, params={"to": "0.5"})
        assert refused.status_code == 422, refused.text
    seen, cursor = [], None
    while True:
        page = (await ada.get("/audit-events", params={"limit": 3, "cursor": cursor} if cursor
                              else {"limit": 3})).json()  # fmt: skip
        seen += [e["auditId"] for e in page["items"]]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 8
    assert seen == [e["auditId"] for e in prefixed["items"]]


async def test_a_naive_time_filter_is_refused_naming_the_parameter(
    admin: httpx.AsyncClient,
) -> None:
    answer = await admin.get("/audit-events", params={"from": "2026-01-01T00:00:00"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/query/from"


async def test_export_csv_and_jsonl_hold_what_the_list_holds(admin: httpx.AsyncClient) -> None:
    await _edit_and_publish(admin)
    listed = (await admin.get("/audit-events")).json()["items"]
    jsonl = await admin.get("/audit-events/export", params={"format": "jsonl"})
    assert jsonl.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line) for line in jsonl.text.splitlines()] == listed
    exported = await admin.get("/audit-events/export", params={"format": "csv", "actor": "tester"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["auditId"] for r in rows] == [e["auditId"] for e in listed]
    assert json.loads(rows[0]["details"]) == listed[0]["details"]


async def test_the_audit_log_is_append_only_in_the_database(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    await _edit_and_publish(admin)
    for statement in (
        "UPDATE audit_log SET reason = 'rewritten' WHERE tenant_id = $1",
        "DELETE FROM audit_log WHERE tenant_id = $1",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await pool.execute(statement, tenant_id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await pool.execute("TRUNCATE audit_log")
    count = await pool.fetchval("SELECT count(*) FROM audit_log WHERE tenant_id = $1", tenant_id)
    assert count == 4


async def test_reading_needs_a_token_and_sees_only_its_tenant(
    client_factory: ClientFactory, token_factory: TokenFactory, admin: httpx.AsyncClient
) -> None:
    await _edit_and_publish(admin)
    assert (await client_factory(None).get("/audit-events")).status_code == 401
    other = client_factory(await token_factory("workflow.view", tenant=f"other-{uuid.uuid4()}"))
    assert (await other.get("/audit-events")).json()["items"] == []
    viewer = client_factory(await token_factory("workflow.view"))
    assert len((await viewer.get("/audit-events")).json()["items"]) == 4
