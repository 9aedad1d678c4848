"""The same email delivered three times at once, over SMTP and HTTP mixed: one accepted."""

from __future__ import annotations

import asyncio

import aiosmtplib
import asyncpg
import httpx
import pytest
from ingest_samples import new_message_id, outbox_events, simple_mail
from sluice_ingest.context import IngestContext

pytestmark = pytest.mark.integration


async def _smtp_outcome(raw: bytes, mailbox: str, port: int) -> str:
    _, reply = await aiosmtplib.send(
        raw, sender="jane@customer.example", recipients=[mailbox], hostname="127.0.0.1", port=port
    )
    return "accepted" if "accepted" in reply else "duplicate" if "duplicate" in reply else reply


async def _http_outcome(raw: bytes, client: httpx.AsyncClient) -> str:
    answer = await client.post("/emails", content=raw, headers={"Content-Type": "message/rfc822"})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["status"])


@pytest.mark.parametrize("round_", range(3))
async def test_concurrent_mixed_deliveries_one_accepted(
    smtp_port: int, ingest_http: httpx.AsyncClient, ingest_context: IngestContext,
    pool: asyncpg.Pool, tenant_id: str, mailbox: str, round_: int,
) -> None:  # fmt: skip
    message_id = new_message_id()
    raw = simple_mail(mailbox, message_id=message_id, attachment=b"%PDF" + bytes(5000))
    outcomes = await asyncio.gather(
        _smtp_outcome(raw, mailbox, smtp_port),
        _http_outcome(raw, ingest_http),
        _smtp_outcome(raw, mailbox, smtp_port) if round_ % 2 else _http_outcome(raw, ingest_http),
    )
    assert sorted(outcomes) == ["accepted", "duplicate", "duplicate"]
    assert len(await outbox_events(pool, ingest_context.topics.events)) == 1
    async with pool.acquire() as conn:
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM helpdesk_inbound_emails WHERE tenant_id = $1"
            " AND message_id = $2) AS emails, (SELECT count(*) FROM helpdesk_inbound_attachments"
            " WHERE tenant_id = $1) AS attachments",
            tenant_id, message_id,
        )  # fmt: skip
    assert (counts["emails"], counts["attachments"]) == (1, 1)
