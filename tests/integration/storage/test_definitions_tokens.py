"""Definitions and versions; API tokens and their global lookup; audit entries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sluice_storage import (
    AuditRepository,
    DefinitionRepository,
    StorageError,
    TokenRepository,
    authenticate,
    transaction,
)
from sluice_storage.tokens import hash_token

pytestmark = pytest.mark.integration
NOW = datetime(2025, 5, 1, tzinfo=UTC)


def _doc(event: str | None, name: str = "wf") -> dict[str, object]:
    doc: dict[str, object] = {"name": name, "steps": []}
    if event:
        doc["trigger"] = {"type": "event", "eventName": event}
    return doc


async def test_publish_numbers_versions_and_keeps_them_immutable(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    wf = uuid.uuid4()
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant_id)
        await repo.save_draft(wf, _doc("E", "first"), NOW)
        v1 = await repo.publish(
            wf, _doc("E", "first"), payload_schema={"type": "object"}, published_by="alice", now=NOW
        )
        await repo.save_draft(wf, _doc("E", "second"), NOW + timedelta(seconds=1))
        v2 = await repo.publish(
            wf, _doc("E", "second"), payload_schema=None, published_by="bob", now=NOW
        )
        draft = await repo.get(wf)
        latest = await repo.get_version(wf)
        first = await repo.get_version(wf, 1)
    assert (v1.version, v2.version) == (1, 2)
    assert draft is not None
    assert draft.name == "second"
    assert draft.latest_version == 2
    assert latest == v2
    assert first is not None
    assert first.definition["name"] == "first"
    assert first.payload_schema == {"type": "object"}
    assert first.published_by == "alice"


async def test_publish_without_draft_is_refused(pool: asyncpg.Pool, tenant_id: str) -> None:
    async with pool.acquire() as conn:
        repo = DefinitionRepository(conn, tenant_id)
        with pytest.raises(StorageError, match="has no draft to publish") as info:
            await repo.publish(
                uuid.uuid4(), _doc("E"), payload_schema=None, published_by="x", now=NOW
            )
    assert info.value.code == "UNKNOWN_WORKFLOW"


async def test_triggered_by_returns_latest_version_whose_trigger_names_event(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    still, dropped, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant_id)
        for wf, docs in [(still, ["E", "E"]), (dropped, ["E", None]), (other, ["F"])]:
            await repo.save_draft(wf, _doc(docs[-1]), NOW)
            for event in docs:
                await repo.publish(wf, _doc(event), payload_schema=None, published_by="x", now=NOW)
        found = await repo.triggered_by("E")
    # `dropped` published v2 without the trigger: its v1 must not start runs any more.
    assert [(v.workflow_id, v.version) for v in found] == [(still, 2)]


async def test_token_authenticates_until_revoked(pool: asyncpg.Pool, tenant_id: str) -> None:
    async with transaction(pool) as conn:
        issued = await TokenRepository(conn, tenant_id).create(
            subject="ops", role="workflow.admin", now=NOW
        )
    assert issued.token.startswith("slc_")
    async with pool.acquire() as conn:
        found = await authenticate(conn, issued.token, NOW)
        stored = await conn.fetchval(
            "SELECT count(*) FROM api_tokens WHERE token_hash = $1 OR token_hash = $2",
            issued.token,
            hash_token(issued.token),
        )
        assert found == issued.record
        assert found.role == "workflow.admin"
        assert stored == 1  # only the hash is stored, never the token
        assert await authenticate(conn, issued.token + "x", NOW) is None
        assert await TokenRepository(conn, tenant_id).revoke(issued.record.token_id, NOW)
        assert not await TokenRepository(conn, tenant_id).revoke(issued.record.token_id, NOW)
        assert await authenticate(conn, issued.token, NOW) is None


async def test_expired_token_does_not_authenticate(pool: asyncpg.Pool, tenant_id: str) -> None:
    async with transaction(pool) as conn:
        issued = await TokenRepository(conn, tenant_id).create(
            subject="ci", role="workflow.view", now=NOW, expires_at=NOW + timedelta(hours=1)
        )
        assert await authenticate(conn, issued.token, NOW + timedelta(minutes=59)) is not None
        assert await authenticate(conn, issued.token, NOW + timedelta(hours=1)) is None


async def test_audit_entries_list_newest_first_across_pages(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    async with transaction(pool) as conn:
        repo = AuditRepository(conn, tenant_id)
        for i in range(5):
            await repo.append(
                at=NOW + timedelta(seconds=i),
                subject="op",
                action=f"a{i}",
                reason="because",
                details={"i": i},
            )
        first = await repo.list_entries(limit=2)
        rest = await repo.list_entries(cursor=first.next_cursor, limit=10)
    assert [e.action for e in first.items + rest.items] == ["a4", "a3", "a2", "a1", "a0"]
    assert rest.next_cursor is None
    assert first.items[0].details == {"i": 4}
