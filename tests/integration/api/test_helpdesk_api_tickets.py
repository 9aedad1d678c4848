"""Help-desk API: tickets (filters, pagination), comments oldest first, attachments and bytes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
from sluice_helpdesk import (
    AttachmentRepository,
    ClientRepository,
    CommentRepository,
    ContactRepository,
    NewAttachment,
    NewComment,
    NewOutboundEmail,
    NewTicket,
    OutboundEmailRepository,
    TicketRepository,
)
from sluice_storage import transaction

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]


async def _seed(pool: asyncpg.Pool, tenant_id: str) -> dict[str, str]:
    """A client, a contact and three tickets, each in its own transaction (distinct now())."""
    async with transaction(pool) as conn:
        client = await ClientRepository(conn, tenant_id).create("Acme")
        contact = await ContactRepository(conn, tenant_id).create(
            f"c-{uuid.uuid4().hex[:6]}@acme.example", client_id=client.client_id
        )
    ids = {"client": client.client_id, "contact": contact.contact_id}
    for i, status in enumerate(["new", "new", "closed"]):
        async with transaction(pool) as conn:
            ticket, _ = await TicketRepository(conn, tenant_id).create(
                NewTicket(title=f"T{i}", status=status, client_id=client.client_id,
                          contact_id=contact.contact_id if i == 0 else None),
                idempotency_key=f"k{i}",
            )  # fmt: skip
        ids[f"t{i}"] = ticket.ticket_id
    return ids


async def test_tickets_filtered_and_paged_newest_first(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    ids = await _seed(pool, tenant_id)
    first = await admin.get("/tickets", params={"limit": 2})
    rest = await admin.get("/tickets", params={"limit": 2, "cursor": first.json()["nextCursor"]})
    titles = [t["title"] for t in first.json()["items"] + rest.json()["items"]]
    assert titles == ["T2", "T1", "T0"]
    new = await admin.get("/tickets", params={"status": "new"})
    assert {t["title"] for t in new.json()["items"]} == {"T0", "T1"}
    by_contact = await admin.get("/tickets", params={"contact": ids["contact"]})
    assert [t["title"] for t in by_contact.json()["items"]] == ["T0"]
    by_client = await admin.get("/tickets", params={"client": ids["client"]})
    assert len(by_client.json()["items"]) == 3
    one = await admin.get(f"/tickets/{ids['t0']}")
    assert one.json()["ticketNumber"].startswith("TIC-")
    assert one.json()["contactId"] == ids["contact"]


async def test_ticket_of_another_tenant_404(
    pool: asyncpg.Pool, tenant_id: str, client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    ids = await _seed(pool, tenant_id)
    other = client_factory(await token_factory("workflow.view", tenant=f"t-{uuid.uuid4().hex[:8]}"))
    for path in ("", "/comments", "/attachments"):
        answer = await other.get(f"/tickets/{ids['t0']}{path}")
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/problem+json"


async def test_comments_oldest_first_with_blocks(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    ids = await _seed(pool, tenant_id)
    blocks = [{"type": "paragraph", "children": [{"type": "text", "text": "hi", "marks": []}]}]
    for i in range(3):
        async with transaction(pool) as conn:
            await CommentRepository(conn, tenant_id).create(
                NewComment(ticket_id=ids["t0"], author_type="contact", format="text",
                           content=f"c{i}", blocks=blocks, unverified_sender=i == 2),
                idempotency_key=f"m{i}:{ids['t0']}",
            )  # fmt: skip
    first = await admin.get(f"/tickets/{ids['t0']}/comments", params={"limit": 2})
    rest = await admin.get(
        f"/tickets/{ids['t0']}/comments", params={"cursor": first.json()["nextCursor"]}
    )
    items = first.json()["items"] + rest.json()["items"]
    assert [c["content"] for c in items] == ["c0", "c1", "c2"]
    assert items[0]["blocks"] == blocks
    assert [c["unverifiedSender"] for c in items] == [False, False, True]


async def test_attachments_listed_and_downloaded_with_checksum(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    ids = await _seed(pool, tenant_id)
    data = bytes(range(256)) * 10
    async with transaction(pool) as conn:
        stored, _ = await AttachmentRepository(conn, tenant_id).create(
            NewAttachment(ticket_id=ids["t0"], message_id="m@x", source_attachment_id="a1",
                          name="résumé.pdf", content_type="application/pdf", data=data)
        )  # fmt: skip
    [listed] = (await admin.get(f"/tickets/{ids['t0']}/attachments")).json()["items"]
    assert listed["sha256"] == hashlib.sha256(data).hexdigest()
    assert (listed["name"], listed["size"]) == ("résumé.pdf", len(data))
    download = await admin.get(f"/tickets/{ids['t0']}/attachments/{stored.attachment_id}/content")
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    wrong_ticket = await admin.get(
        f"/tickets/{ids['t1']}/attachments/{stored.attachment_id}/content"
    )
    assert wrong_ticket.status_code == 404


async def test_outbound_emails_newest_first_filtered_by_status(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    ids = await _seed(pool, tenant_id)
    for i in range(2):
        async with transaction(pool) as conn:
            await OutboundEmailRepository(conn, tenant_id).enqueue(
                NewOutboundEmail(to_address="c@acme.example", subject=f"S{i}", body_text="b",
                                 message_id=f"<o{i}-{uuid.uuid4().hex}@sluice>",
                                 ticket_id=ids["t0"], suppressed=i == 1),
                idempotency_key=f"o{i}",
            )  # fmt: skip
    listed = await admin.get("/outbound-emails")
    assert [o["subject"] for o in listed.json()["items"]] == ["S1", "S0"]
    suppressed = await admin.get("/outbound-emails", params={"status": "suppressed"})
    assert [o["subject"] for o in suppressed.json()["items"]] == ["S1"]
    assert (await admin.get("/outbound-emails", params={"status": "bogus"})).status_code == 422
