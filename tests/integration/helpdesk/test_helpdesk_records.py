"""Comments, attachments, contacts, threading, tokens, inbound and outbound mail."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sluice_helpdesk import (
    AttachmentRepository,
    AttachmentTooLargeError,
    ClientRepository,
    CommentRepository,
    ContactRepository,
    DuplicateContactError,
    InboundAttachment,
    InboundEmailRepository,
    NewAttachment,
    NewComment,
    NewOutboundEmail,
    NewTicket,
    OutboundEmailRepository,
    ReplyTokenRepository,
    ThreadRepository,
    TicketRepository,
    keys,
)

pytestmark = pytest.mark.integration


async def _ticket(conn: asyncpg.Connection, tenant: str) -> str:
    ticket, _ = await TicketRepository(conn, tenant).create(NewTicket(title="printer"))
    return ticket.ticket_id


async def test_comment_create_is_idempotent_and_keeps_blocks(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    blocks = [{"type": "paragraph", "children": [{"type": "text", "text": "hi", "marks": []}]}]
    async with pool.acquire() as conn:
        ticket_id = await _ticket(conn, tenant_id)
        repo = CommentRepository(conn, tenant_id)
        new = NewComment(
            ticket_id, "contact", "text", "hi", blocks, author_address="x@y.example",
            unverified_sender=True, source_message_id="m@x",
        )  # fmt: skip
        key = keys.comment_key("<m@x>", ticket_id)
        first, created = await repo.create(new, idempotency_key=key)
        again, created_again = await repo.create(new, idempotency_key=key)
        listed = await repo.list_for_ticket(ticket_id)
    assert created
    assert not created_again
    assert again.comment_id == first.comment_id
    assert [c.comment_id for c in listed] == [first.comment_id]
    assert listed[0].blocks == blocks
    assert listed[0].unverified_sender


async def test_attachment_checksum_and_idempotency(pool: asyncpg.Pool, tenant_id: str) -> None:
    data = bytes(range(256)) * 100
    async with pool.acquire() as conn:
        ticket_id = await _ticket(conn, tenant_id)
        repo = AttachmentRepository(conn, tenant_id)
        new = NewAttachment(
            ticket_id, "<m@x>", "att-1", "log.bin", "application/octet-stream", data
        )
        first, created = await repo.create(new)
        again, created_again = await repo.create(new)
        stored = await repo.read_bytes(first.attachment_id)
    assert created
    assert not created_again
    assert again.attachment_id == first.attachment_id
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert first.size == len(data)
    assert first.message_id == "m@x"
    assert stored == data


async def test_attachment_over_cap_is_refused(pool: asyncpg.Pool, tenant_id: str) -> None:
    async with pool.acquire() as conn:
        ticket_id = await _ticket(conn, tenant_id)
        repo = AttachmentRepository(conn, tenant_id, max_bytes=10)
        with pytest.raises(AttachmentTooLargeError, match="over the cap of 10"):
            await repo.create(NewAttachment(ticket_id, "m", "a", "n", "text/plain", b"x" * 11))


async def test_contact_email_unique_case_insensitive_per_tenant(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    other = f"t-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn:
        client = await ClientRepository(conn, tenant_id).create("ACME")
        contacts = ContactRepository(conn, tenant_id)
        jane = await contacts.create("Jane@Customer.example", client_id=client.client_id)
        with pytest.raises(DuplicateContactError):
            await contacts.create("jane@customer.EXAMPLE", client_id=None)
        await ContactRepository(conn, other).create("jane@customer.example", client_id=None)
        found = await contacts.find_by_email(" JANE@customer.example ")
        assert await ContactRepository(conn, other).get(jane.contact_id) is None
    assert found == jane
    assert found.client_id == client.client_id


async def test_threading_and_reply_token_find_the_ticket(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    async with pool.acquire() as conn:
        ticket_id = await _ticket(conn, tenant_id)
        threads = ThreadRepository(conn, tenant_id)
        assert await threads.link("<ack-1@acme>", ticket_id, "sent")
        assert not await threads.link("ack-1@acme", ticket_id, "sent")
        by_headers = await threads.find_ticket(["unknown@x", "<ack-1@acme>"])
        tokens = ReplyTokenRepository(conn, tenant_id)
        token = await tokens.token_for_ticket(ticket_id, "SLU-AAAAAAAAAAAAAAAA")
        same = await tokens.token_for_ticket(ticket_id, "SLU-BBBBBBBBBBBBBBBB")
        by_token = await tokens.find_ticket("[slu-aaaaaaaaaaaaaaaa]")
        other_tenant = await ReplyTokenRepository(conn, "other-tenant").find_ticket(token)
    assert by_headers == ticket_id
    assert token == same == "SLU-AAAAAAAAAAAAAAAA"
    assert by_token == ticket_id
    assert other_tenant is None


async def test_inbound_email_deduplicates_on_provider_and_message_id(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    async with pool.acquire() as conn:
        repo = InboundEmailRepository(conn, tenant_id)
        first, created = await repo.record("p1", "<m@x>", b"raw", status="accepted")
        again, created_again = await repo.record("p1", "m@x", b"raw", status="accepted")
        other, other_created = await repo.record("p2", "m@x", b"raw", status="failed", reason="r")
        att = InboundAttachment("1.2", "a.png", "image/png", b"\x89PNG", "cid@x")
        att_id = await repo.store_attachment(first.inbound_email_id, att)
        assert await repo.store_attachment(first.inbound_email_id, att) == att_id
        read = await repo.read_attachment(att_id)
        raw = await repo.raw_bytes(first.inbound_email_id)
    assert (created, created_again, other_created) == (True, False, True)
    assert again.inbound_email_id == first.inbound_email_id
    assert other.status == "failed"
    assert read == att
    assert raw == b"raw"


async def test_outbound_enqueue_is_idempotent_and_counts_recent(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    async with pool.acquire() as conn:
        ticket_id = await _ticket(conn, tenant_id)
        repo = OutboundEmailRepository(conn, tenant_id)
        new = NewOutboundEmail(
            "Jane@X.example", "Re: printer", "We got it [SLU-X]", "<ack-1@acme>",
            headers={"Auto-Submitted": "auto-replied"}, ticket_id=ticket_id,
        )  # fmt: skip
        first, created = await repo.enqueue(
            new, idempotency_key=keys.acknowledgement_key(ticket_id)
        )
        again, created_again = await repo.enqueue(
            new, idempotency_key=keys.acknowledgement_key(ticket_id)
        )
        count = await repo.recent_count("jane@x.example", datetime.now(UTC) - timedelta(hours=1))
        await repo.mark_sent(first.outbound_email_id, now=datetime.now(UTC))
        listed = await repo.list()
    assert created
    assert not created_again
    assert again.outbound_email_id == first.outbound_email_id
    assert first.message_id == "ack-1@acme"
    assert first.headers == {"Auto-Submitted": "auto-replied"}
    assert count == 1
    assert listed[0].status == "sent"
