"""Tenant A never sees tenant B's rows, whichever repository is asked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from fixtures.runs import insert_runs
from sluice_messaging.dlq import DeadLetter
from sluice_storage import (
    AuditRepository,
    DeadLetterRepository,
    DefinitionRepository,
    EventRepository,
    NewEvent,
    NewRun,
    NewWait,
    RunRepository,
    TokenRepository,
    WaitRepository,
    mirror_dead_letter,
    transaction,
)
from sluice_storage.errors import InvalidTenantError

pytestmark = pytest.mark.integration
NOW = datetime(2025, 4, 1, tzinfo=UTC)


async def _seed(conn: asyncpg.Connection, tenant: str) -> dict[str, uuid.UUID]:
    wf = uuid.uuid4()
    defs = DefinitionRepository(conn, tenant)
    await defs.save_draft(wf, {"name": "x", "trigger": {"type": "event", "eventName": "E"}}, NOW)
    await defs.publish(
        wf,
        {"trigger": {"type": "event", "eventName": "E"}},
        payload_schema=None,
        published_by="me",
        now=NOW,
    )
    [run] = await insert_runs(conn, tenant, NewRun(uuid.uuid4(), wf, 1, {}, NOW))
    event, _ = await EventRepository(conn, tenant).store(NewEvent(uuid.uuid4(), "E", "k", {}, NOW))
    wait = await WaitRepository(conn, tenant).register(
        NewWait(uuid.uuid4(), run.run_id, "event", NOW, event_name="E2", correlation_key="k")
    )
    await AuditRepository(conn, tenant).append(at=NOW, subject="me", action="run.cancel")
    await TokenRepository(conn, tenant).create(subject="me", role="workflow.view", now=NOW)
    letter = DeadLetter(tenant, "wf.events", 0, int(uuid.uuid4().int % 10**9), None, b"x", "bad")
    await mirror_dead_letter(conn, letter)
    return {"wf": wf, "run": run.run_id, "event": event.event_id, "wait": wait.wait_id}


async def test_tenant_never_sees_another_tenants_rows(pool: asyncpg.Pool) -> None:
    a, b = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    async with transaction(pool) as conn:
        ids_a = await _seed(conn, a)
        await _seed(conn, b)
    async with pool.acquire() as conn:
        # B asks for A's ids directly: nothing.
        assert await DefinitionRepository(conn, b).get(ids_a["wf"]) is None
        assert await DefinitionRepository(conn, b).get_version(ids_a["wf"]) is None
        assert await RunRepository(conn, b).get(ids_a["run"]) is None
        assert await RunRepository(conn, b).lock(ids_a["run"]) is None
        assert await EventRepository(conn, b).get(ids_a["event"]) is None
        assert await WaitRepository(conn, b).get(ids_a["wait"]) is None
        # B's lists hold only B's rows.
        for page in [
            await DefinitionRepository(conn, b).list_definitions(),
            await RunRepository(conn, b).list_runs(),
            await EventRepository(conn, b).list_events(),
            await AuditRepository(conn, b).list_entries(),
            await DeadLetterRepository(conn, b).list_letters(),
        ]:
            assert page.items
            assert {item.tenant_id for item in page.items} == {b}
        assert {t.tenant_id for t in await TokenRepository(conn, b).list_tokens()} == {b}
        assert [d.tenant_id for d in await DefinitionRepository(conn, b).triggered_by("E")] == [b]
        assert await WaitRepository(conn, b).open_for_run(ids_a["run"]) == []


async def test_repository_refuses_invalid_tenant_id(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(InvalidTenantError, match="invalid tenant id 'ACME'"):
            RunRepository(conn, "ACME")
