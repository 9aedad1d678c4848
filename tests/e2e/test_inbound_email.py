"""Inbound email through the real services: Kafka, PostgreSQL, interpreter, scheduler, SMTP.

One set of services for the module. Emails arrive as ``INBOUND_EMAIL_RECEIVED``
events on ``wf.events`` with the SPEC 12 payload (attachments stored first, as
the intake does); acknowledgements are delivered by the scheduler's sender to
an SMTP sink (aiosmtpd) started here.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from e2e_support.mail import Sink, SmtpSink
from e2e_support.services import Services, wait_for
from sluice_engine import ActionHandlers, load_plugins
from sluice_helpdesk import InboundAttachment, InboundEmailRepository
from sluice_helpdesk.seeding import DEMO_CONTACT_EMAIL, seed_tenant
from sluice_messaging.topics import Topics
from sluice_storage import transaction
from workflow_core.registry import create_registry

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sink() -> Iterator[tuple[Sink, int]]:
    started = SmtpSink.start()
    yield started.sink, started.port
    started.stop()


@pytest.fixture(scope="module")
async def running(services_factory: Services, sink: tuple[Sink, int]) -> AsyncIterator[Services]:
    services_factory.extra_env.update({"WF_SMTP_HOST": "127.0.0.1", "WF_SMTP_PORT": str(sink[1])})
    await services_factory.start("interpreter")
    await services_factory.start("scheduler")
    yield services_factory
    services_factory.stop_all()


@pytest.fixture
async def tenant(e2e_pool: asyncpg.Pool) -> str:
    name = f"t-{uuid.uuid4().hex[:10]}"
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())
    async with transaction(e2e_pool) as conn:
        await seed_tenant(conn, name, registry.freeze(), datetime.now(UTC))
    return name


async def submit(
    producer: AIOKafkaProducer, topics: Topics, tenant: str, payload: dict[str, Any]
) -> None:
    key = payload["emailData"]["id"]
    event = {
        "tenantId": tenant,
        "eventName": "INBOUND_EMAIL_RECEIVED",
        "correlationKey": key,
        "payload": payload,
    }
    await producer.send_and_wait(topics.events, json.dumps(event).encode(), key=key.encode())


def payload_of(message_id: str, text: str, **extra: Any) -> dict[str, Any]:
    data = {
        "id": message_id,
        "from": {"email": DEMO_CONTACT_EMAIL},
        "subject": "VPN down",
        "body": {"text": text},
        **extra,
    }
    return {"emailData": data, "providerId": "default"}


async def fetch(pool: asyncpg.Pool, sql: str, *args: Any) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(sql, *args))


async def finished_states(
    pool: asyncpg.Pool, tenant: str, count: int, services: Services, timeout_s: float = 45.0
) -> list[str]:
    async def check() -> list[str] | None:
        rows = await fetch(
            pool,
            "SELECT status, state FROM workflow_runs WHERE tenant_id = $1 ORDER BY started_at",
            tenant,
        )
        done = [r for r in rows if r["status"] in ("SUCCEEDED", "FAILED", "CANCELED")]
        return [str(r["state"]) for r in done] if len(done) >= count else None

    states: list[str] = await wait_for(check, timeout_s, f"{count} finished runs", services)
    return states


async def store_attachment(
    pool: asyncpg.Pool, tenant: str, message_id: str, data: bytes
) -> dict[str, Any]:
    async with transaction(pool) as conn:
        repo = InboundEmailRepository(conn, tenant)
        stored, _ = await repo.record("default", message_id, b"raw", status="accepted")
        part = InboundAttachment("2", "report.pdf", "application/pdf", data)
        attachment_id = await repo.store_attachment(stored.inbound_email_id, part)
    return {
        "id": attachment_id,
        "name": "report.pdf",
        "contentType": "application/pdf",
        "size": len(data),
    }


async def test_new_email_ack_received_then_reply_by_headers_threads(
    running: Services,
    e2e_pool: asyncpg.Pool,
    e2e_topics: Topics,
    producer: AIOKafkaProducer,
    sink: tuple[Sink, int],
    tenant: str,
) -> None:
    data = bytes(range(256)) * 64
    ref = await store_attachment(e2e_pool, tenant, "first@cust.test", data)
    await submit(
        producer,
        e2e_topics,
        tenant,
        payload_of("first@cust.test", "Cannot connect.", attachments=[ref]),
    )
    assert await finished_states(e2e_pool, tenant, 1, running) == ["EMAIL_PROCESSED"]

    async def ack() -> EmailMessage | None:
        mine = [m for m in sink[0].messages if str(m["In-Reply-To"]) == "<first@cust.test>"]
        return mine[0] if mine else None

    received: EmailMessage = await wait_for(ack, 30, "the acknowledgement at the sink", running)
    assert received["Auto-Submitted"] == "auto-replied"
    assert received["To"] == DEMO_CONTACT_EMAIL
    assert "Reference: [SLU-" in received.get_content()
    [attachment] = await fetch(
        e2e_pool, "SELECT data FROM helpdesk_attachments WHERE tenant_id = $1", tenant
    )
    assert bytes(attachment["data"]) == data
    [outbound] = await fetch(
        e2e_pool,
        "SELECT status, message_id FROM helpdesk_outbound_emails WHERE tenant_id = $1",
        tenant,
    )
    assert received["Message-ID"] == f"<{outbound['message_id']}>"

    await submit(
        producer,
        e2e_topics,
        tenant,
        payload_of(
            "reply@cust.test",
            "Works now, thanks!\n\nOn Tue, Support wrote:\n> old",
            inReplyTo=received["Message-ID"],
        ),
    )
    assert await finished_states(e2e_pool, tenant, 2, running) == ["EMAIL_PROCESSED"] * 2
    comments = await fetch(
        e2e_pool,
        "SELECT ticket_id, author_type, content FROM helpdesk_comments"
        " WHERE tenant_id = $1 ORDER BY created_at",
        tenant,
    )
    assert [c["author_type"] for c in comments] == ["internal", "contact"]
    assert comments[1]["content"] == "Works now, thanks!"
    assert len({c["ticket_id"] for c in comments}) == 1


async def test_same_email_three_times_concurrently_one_of_each(
    running: Services,
    e2e_pool: asyncpg.Pool,
    e2e_topics: Topics,
    producer: AIOKafkaProducer,
    sink: tuple[Sink, int],
    tenant: str,
) -> None:
    ref = await store_attachment(e2e_pool, tenant, "thrice@cust.test", b"%PDF-1.7 tiny")
    payload = payload_of("thrice@cust.test", "Please help", attachments=[ref])
    await asyncio.gather(*(submit(producer, e2e_topics, tenant, payload) for _ in range(3)))
    assert await finished_states(e2e_pool, tenant, 3, running) == ["EMAIL_PROCESSED"] * 3
    for table in (
        "helpdesk_tickets",
        "helpdesk_comments",
        "helpdesk_attachments",
        "helpdesk_outbound_emails",
    ):
        rows = await fetch(e2e_pool, f"SELECT 1 FROM {table} WHERE tenant_id = $1", tenant)
        assert len(rows) == 1, table

    async def acks() -> int:
        return sum(str(m["In-Reply-To"]) == "<thrice@cust.test>" for m in sink[0].messages)

    await wait_for(acks, 30, "the acknowledgement", running)
    await asyncio.sleep(1.0)  # a duplicate delivery would arrive within the sender's poll
    assert await acks() == 1


async def test_out_of_office_reply_to_ack_is_a_comment_never_an_ack(
    running: Services,
    e2e_pool: asyncpg.Pool,
    e2e_topics: Topics,
    producer: AIOKafkaProducer,
    sink: tuple[Sink, int],
    tenant: str,
) -> None:
    await submit(producer, e2e_topics, tenant, payload_of("loop@cust.test", "Mail is slow"))
    assert await finished_states(e2e_pool, tenant, 1, running) == ["EMAIL_PROCESSED"]
    [outbound] = await fetch(
        e2e_pool, "SELECT message_id FROM helpdesk_outbound_emails WHERE tenant_id = $1", tenant
    )
    auto_reply = payload_of(
        "ooo@cust.test",
        "I am out of the office until Monday.",
        inReplyTo=outbound["message_id"],
        autoSubmitted=True,
    )
    await submit(producer, e2e_topics, tenant, auto_reply)
    assert await finished_states(e2e_pool, tenant, 2, running) == ["EMAIL_PROCESSED"] * 2
    tickets = await fetch(e2e_pool, "SELECT 1 FROM helpdesk_tickets WHERE tenant_id = $1", tenant)
    comments = await fetch(e2e_pool, "SELECT 1 FROM helpdesk_comments WHERE tenant_id = $1", tenant)
    acks = await fetch(
        e2e_pool, "SELECT 1 FROM helpdesk_outbound_emails WHERE tenant_id = $1", tenant
    )
    assert (len(tickets), len(comments), len(acks)) == (1, 2, 1)
