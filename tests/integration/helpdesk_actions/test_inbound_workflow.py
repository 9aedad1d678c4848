"""The shipped inbound-email workflow end to end in-process: real engine and PostgreSQL, no Kafka.

``Pump`` (tests/integration/engine) plays the interpreter and executor; the
tenant is seeded exactly as ``sluice seed`` does it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from action_harness import store_inbound
from integration.engine.engine_harness import Pump
from sluice_engine import ActionHandlers, EngineContext, load_plugins
from sluice_helpdesk import ContactRepository, ProviderRepository
from sluice_helpdesk.seeding import DEMO_CONTACT_EMAIL, seed_tenant
from sluice_messaging.topics import Topics
from sluice_storage import transaction
from workflow_core.registry import create_registry

pytestmark = pytest.mark.integration


@pytest.fixture
async def pump(pool: asyncpg.Pool, tenant_id: str) -> Pump:
    registry, handlers = create_registry(), ActionHandlers()
    load_plugins("", registry, handlers)
    ctx = EngineContext(registry=registry.freeze(), topics=Topics.from_prefix("wfh."))
    async with transaction(pool) as conn:
        report = await seed_tenant(conn, tenant_id, ctx.registry, datetime.now(UTC))
    created = Pump(pool, ctx, handlers.freeze(), tenant_id, ctx.topics)
    created.workflow_id = report.workflow_id  # type: ignore[attr-defined]
    return created


def email(message_id: str, text: str, **extra: Any) -> dict[str, Any]:
    data = {"id": message_id, "from": {"email": DEMO_CONTACT_EMAIL}, "subject": "Printer jams",
            "body": {"text": text}, **extra}  # fmt: skip
    return {"emailData": data, "providerId": "default"}


async def run(pump: Pump, payload: dict[str, Any]) -> asyncpg.Record:
    run_id = await pump.start(pump.workflow_id, payload)  # type: ignore[attr-defined]
    await pump.drain()
    return await pump.run_row(run_id)


def state_of(row: asyncpg.Record) -> str:
    return str(row["state"])


async def count(pump: Pump, table: str) -> int:
    rows = await pump.fetch(f"SELECT count(*) AS n FROM {table} WHERE tenant_id = $1")
    return int(rows[0]["n"])


async def test_new_email_then_replies_by_token_and_by_headers(pump: Pump) -> None:
    refs = await store_inbound(pump.pool, pump.tenant_id, "new1@cust.test", {"a.txt": b"AAA"})
    first = await run(pump, email("new1@cust.test", "My printer jams.", attachments=refs))
    assert (first["status"], state_of(first)) == ("SUCCEEDED", "EMAIL_PROCESSED")
    [ticket] = await pump.fetch("SELECT * FROM helpdesk_tickets WHERE tenant_id = $1")
    assert (ticket["title"], ticket["description"]) == ("Printer jams", "My printer jams.")
    assert ticket["location"] == "head-office"
    [ack] = await pump.fetch("SELECT * FROM helpdesk_outbound_emails WHERE tenant_id = $1")
    token = ack["body_text"].split("Reference: ")[1].split("]")[0] + "]"
    quoted = f"Still broken.\n\nOn Mon, Support wrote:\n> Reference: {token}\n"
    by_token = await run(pump, email("r1@cust.test", quoted))
    by_headers = await run(pump, email("r2@cust.test", "Any news?", inReplyTo=ack["message_id"]))
    assert state_of(by_token) == state_of(by_headers) == "EMAIL_PROCESSED"
    comments = await pump.fetch(
        "SELECT * FROM helpdesk_comments WHERE tenant_id = $1 ORDER BY created_at"
    )
    assert [c["author_type"] for c in comments] == ["internal", "contact", "contact"]
    assert {c["ticket_id"] for c in comments} == {ticket["ticket_id"]}
    assert comments[1]["content"] == "Still broken."
    assert not comments[1]["unverified_sender"]
    assert await count(pump, "helpdesk_attachments") == 1
    assert await count(pump, "helpdesk_outbound_emails") == 1


async def test_unknown_sender_gets_default_client_and_no_ack(pump: Pump) -> None:
    payload = email("u1@else.test", "Hello")
    payload["emailData"]["from"] = {"email": "stranger@else.test"}
    row = await run(pump, payload)
    [ticket] = await pump.fetch("SELECT * FROM helpdesk_tickets WHERE tenant_id = $1")
    assert state_of(row) == "EMAIL_PROCESSED"
    assert ticket["client_id"] is not None
    assert ticket["contact_id"] is None
    assert await count(pump, "helpdesk_outbound_emails") == 0


async def test_auto_submitted_mail_never_acknowledged(pump: Pump) -> None:
    row = await run(pump, email("ooo@cust.test", "I am out of office", autoSubmitted=True))
    assert state_of(row) == "EMAIL_PROCESSED"
    assert await count(pump, "helpdesk_tickets") == 1
    assert await count(pump, "helpdesk_outbound_emails") == 0


async def test_no_defaults_ends_in_error_state_without_ticket(pump: Pump) -> None:
    async with transaction(pump.pool) as conn:
        await ProviderRepository(conn, pump.tenant_id).save(
            "default", f"support@{pump.tenant_id}.sluice.local", None
        )
    row = await run(pump, email("nd@cust.test", "Hi"))
    assert (row["status"], state_of(row)) == ("SUCCEEDED", "ERROR_NO_TICKET_DEFAULTS")
    assert await count(pump, "helpdesk_tickets") == 0


async def test_permanent_action_failure_creates_task_and_awaits_resolution(pump: Pump) -> None:
    async with transaction(pump.pool) as conn:
        await ProviderRepository(conn, pump.tenant_id).save(
            "default", f"support@{pump.tenant_id}.sluice.local", {"clientId": str(uuid.uuid4())}
        )
        await ContactRepository(conn, pump.tenant_id).create("solo@x.test", client_id=None)
    payload = email("bad@x.test", "Hi")
    payload["emailData"]["from"] = {"email": "solo@x.test"}
    row = await run(pump, payload)
    assert (row["status"], state_of(row)) == ("SUCCEEDED", "AWAITING_MANUAL_RESOLUTION")
    [task] = await pump.fetch("SELECT * FROM human_tasks WHERE tenant_id = $1")
    assert task["title"] == "Email Processing Failure"
    assert "UNKNOWN_REFERENCE" in task["description"]
    assert "solo@x.test" in task["description"]


async def test_same_email_three_times_yields_one_of_each(pump: Pump) -> None:
    refs = await store_inbound(pump.pool, pump.tenant_id, "dup@cust.test", {"b.bin": b"\x00\x01"})
    payload = email("dup@cust.test", "Once please", attachments=refs)
    run_ids = [await pump.start(pump.workflow_id, payload) for _ in range(3)]  # type: ignore[attr-defined]
    await pump.drain()
    rows = [await pump.run_row(r) for r in run_ids]
    assert {state_of(r) for r in rows} == {"EMAIL_PROCESSED"}
    for table in ("helpdesk_tickets", "helpdesk_comments", "helpdesk_attachments",
                  "helpdesk_outbound_emails"):  # fmt: skip
        assert await count(pump, table) == 1, table
