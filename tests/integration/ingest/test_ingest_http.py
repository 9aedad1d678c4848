"""``POST /emails`` (raw ``message/rfc822``): refusals, outcomes, storage and the event."""

from __future__ import annotations

import hashlib

import asyncpg
import httpx
import pytest
from ingest_samples import TEST_MAX_EMAIL_BYTES, new_message_id, outbox_events, simple_mail
from sluice_helpdesk import InboundEmailRepository
from sluice_ingest.context import IngestContext

pytestmark = pytest.mark.integration
RFC822 = {"Content-Type": "message/rfc822"}


async def test_post_unknown_mailbox_is_404_with_reason(ingest_http: httpx.AsyncClient) -> None:
    raw = simple_mail("nobody@nowhere.example")
    answer = await ingest_http.post("/emails", content=raw, headers=RFC822)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "UNKNOWN_MAILBOX"
    assert "nobody@nowhere.example" in answer.json()["detail"]


async def test_post_explicit_unknown_recipient_is_404(
    ingest_http: httpx.AsyncClient, mailbox: str
) -> None:
    raw = simple_mail(mailbox)  # the To header routes, but the explicit recipient wins
    answer = await ingest_http.post("/emails?to=other@nowhere.example", content=raw, headers=RFC822)
    assert answer.status_code == 404
    assert "other@nowhere.example" in answer.json()["detail"]


async def test_post_oversized_is_413(ingest_http: httpx.AsyncClient, mailbox: str) -> None:
    raw = simple_mail(mailbox, attachment=b"x" * TEST_MAX_EMAIL_BYTES)
    answer = await ingest_http.post("/emails", content=raw, headers=RFC822)
    assert answer.status_code == 413
    assert answer.json()["code"] == "EMAIL_TOO_LARGE"


@pytest.mark.parametrize("body", [b"", b"just some text\nwithout headers\n", b"\x00\xff\x10binary"])
async def test_post_not_rfc822_is_400(
    ingest_http: httpx.AsyncClient, mailbox: str, body: bytes
) -> None:
    answer = await ingest_http.post(f"/emails?to={mailbox}", content=body, headers=RFC822)
    assert answer.status_code == 400
    assert answer.json()["code"] == "NOT_RFC822"


async def test_post_other_media_type_is_415(ingest_http: httpx.AsyncClient, mailbox: str) -> None:
    answer = await ingest_http.post(
        "/emails", content=simple_mail(mailbox), headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 415
    assert answer.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_post_accepted_stores_raw_and_enqueues_event(
    ingest_http: httpx.AsyncClient, ingest_context: IngestContext, pool: asyncpg.Pool,
    tenant_id: str, mailbox: str,
) -> None:  # fmt: skip
    message_id = new_message_id()
    raw = simple_mail(mailbox, message_id=message_id)
    answer = await ingest_http.post("/emails", content=raw, headers=RFC822)
    assert answer.status_code == 202
    assert answer.json() == {"emailId": answer.json()["emailId"], "status": "accepted"}
    async with pool.acquire() as conn:
        stored = await InboundEmailRepository(conn, tenant_id).find("prov-1", message_id)
        raw_stored = await InboundEmailRepository(conn, tenant_id).raw_bytes(
            answer.json()["emailId"]
        )
    assert stored is not None
    assert stored.status == "accepted"
    assert raw_stored == raw
    [event] = await outbox_events(pool, ingest_context.topics.events)
    assert event["type"] == "event"
    assert event["tenantId"] == tenant_id
    assert event["key"] == f"{tenant_id}:INBOUND_EMAIL_RECEIVED:{message_id}"
    body = event["body"]
    assert body["eventName"] == "INBOUND_EMAIL_RECEIVED"
    assert body["correlationKey"] == message_id
    assert body["idempotencyKey"] == f"prov-1:{message_id}"
    payload = body["payload"]
    assert payload["providerId"] == "prov-1"
    assert payload["tenantId"] == tenant_id
    assert payload["emailData"]["id"] == message_id
    sender = {"email": "jane@customer.example", "name": "Jane Customer"}
    assert payload["emailData"]["from"] == sender
    assert payload["emailData"]["autoSubmitted"] is False
    assert "printer is on fire" in payload["emailData"]["body"]["text"]


async def test_post_attachment_bytes_stored_with_sha256_and_referenced(
    ingest_http: httpx.AsyncClient, ingest_context: IngestContext, pool: asyncpg.Pool,
    tenant_id: str, mailbox: str,
) -> None:  # fmt: skip
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    raw = simple_mail(mailbox, attachment=pdf)
    answer = await ingest_http.post("/emails", content=raw, headers=RFC822)
    assert answer.json()["status"] == "accepted"
    [event] = await outbox_events(pool, ingest_context.topics.events)
    [reference] = event["body"]["payload"]["emailData"]["attachments"]
    assert reference["name"] == "report.pdf"
    assert reference["size"] == len(pdf)
    assert "data" not in reference  # bytes never travel on Kafka
    async with pool.acquire() as conn:
        found = await InboundEmailRepository(conn, tenant_id).read_attachment(reference["id"])
        sha = await conn.fetchval(
            "SELECT sha256 FROM helpdesk_inbound_attachments WHERE tenant_id = $1"
            " AND attachment_id = $2::text::uuid",
            tenant_id, reference["id"],
        )  # fmt: skip
    assert found is not None
    assert found.data == pdf
    assert sha == hashlib.sha256(pdf).hexdigest()


@pytest.mark.parametrize(
    "header",
    [("Auto-Submitted", "auto-replied"), ("Precedence", "bulk"), ("X-Autoreply", "yes")],
)
async def test_post_auto_generated_mail_marked_auto_submitted(
    ingest_http: httpx.AsyncClient, ingest_context: IngestContext, pool: asyncpg.Pool,
    mailbox: str, header: tuple[str, str],
) -> None:  # fmt: skip
    raw = simple_mail(mailbox, subject="Out of office", extra_headers=dict([header]))
    answer = await ingest_http.post("/emails", content=raw, headers=RFC822)
    assert answer.json()["status"] == "accepted"
    [event] = await outbox_events(pool, ingest_context.topics.events)
    assert event["body"]["payload"]["emailData"]["autoSubmitted"] is True


async def test_post_malformed_stored_as_failed_without_event(
    ingest_http: httpx.AsyncClient, ingest_context: IngestContext, pool: asyncpg.Pool,
    tenant_id: str, mailbox: str,
) -> None:  # fmt: skip
    raw = f"To: {mailbox}\nSubject: no sender at all\n\nbody\n".encode()
    answer = await ingest_http.post("/emails", content=raw, headers=RFC822)
    assert answer.status_code == 202
    assert answer.json()["status"] == "failed"
    assert "sender" in answer.json()["reason"]
    async with pool.acquire() as conn:
        status, reason, kept = await conn.fetchrow(
            "SELECT status, reason, raw FROM helpdesk_inbound_emails WHERE tenant_id = $1"
            " AND inbound_email_id = $2::text::uuid",
            tenant_id, answer.json()["emailId"],
        )  # fmt: skip
    assert (status, bytes(kept)) == ("failed", raw)
    assert reason == answer.json()["reason"]
    assert await outbox_events(pool, ingest_context.topics.events) == []


async def test_post_same_message_twice_is_duplicate_once_enqueued(
    ingest_http: httpx.AsyncClient, ingest_context: IngestContext, pool: asyncpg.Pool,
    mailbox: str,
) -> None:  # fmt: skip
    raw = simple_mail(mailbox)
    first = await ingest_http.post("/emails", content=raw, headers=RFC822)
    second = await ingest_http.post(f"/emails?to={mailbox.upper()}", content=raw, headers=RFC822)
    assert first.json()["status"] == "accepted"
    assert second.json()["status"] == "duplicate"
    assert second.json()["emailId"] == first.json()["emailId"]
    assert len(await outbox_events(pool, ingest_context.topics.events)) == 1
