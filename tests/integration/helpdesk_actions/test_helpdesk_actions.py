"""Each email action against the real database, called as the executor calls it."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import asyncpg
import pytest
from action_harness import CallAction, store_inbound
from sluice_engine import ActionFailedError
from sluice_helpdesk import (
    AttachmentRepository,
    ClientRepository,
    CommentRepository,
    ContactRepository,
    OutboundEmailRepository,
    ProviderRepository,
)
from sluice_storage import transaction
from sluice_storage.human_tasks import HumanTaskRepository

pytestmark = pytest.mark.integration


async def _setup(pool: asyncpg.Pool, tenant: str) -> dict[str, str]:
    async with transaction(pool) as conn:
        client = await ClientRepository(conn, tenant).create("Acme")
        other = await ClientRepository(conn, tenant).create("Other")
        contact = await ContactRepository(conn, tenant).create(
            "Jane@Acme.test", client_id=client.client_id, name="Jane"
        )
        await ContactRepository(conn, tenant).create("bob@other.test", client_id=other.client_id)
        defaults = {
            "boardId": "b1",
            "statusId": "new",
            "priorityId": "p2",
            "clientId": client.client_id,
            "enteredBy": "email",
            "locationId": "hq",
        }
        await ProviderRepository(conn, tenant).save("prov", f"in@{tenant}.test", defaults)
        await ProviderRepository(conn, tenant).save("bare", f"bare@{tenant}.test", None)
    return {"client": client.client_id, "contact": contact.contact_id, "other": other.client_id}


async def _ticket(call_action: CallAction, ids: dict[str, str], message_id: str) -> Any:
    args = {
        "title": "Printer broken",
        "description": "It jams",
        "clientId": ids["client"],
        "contactId": ids["contact"],
        "locationId": "hq",
        "messageId": message_id,
        "defaults": {"boardId": "b1", "statusId": "new", "priorityId": "p2"},
    }
    return await call_action("create_ticket_from_email", args, key=f"prov:{message_id}")


async def test_find_contact_by_email_is_case_insensitive(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    ids = await _setup(pool, tenant_id)
    found = await call_action("find_contact_by_email", {"email": "jane@ACME.test"})
    missing = await call_action("find_contact_by_email", {"email": "nobody@acme.test"})
    assert found == {
        "found": True,
        "contactId": ids["contact"],
        "clientId": ids["client"],
        "email": "Jane@Acme.test",
        "name": "Jane",
    }
    assert isinstance(missing, dict)
    assert missing["found"] is False


async def test_resolve_defaults_found_missing_and_unknown_provider(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    ids = await _setup(pool, tenant_id)
    found = await call_action("resolve_inbound_ticket_defaults", {"providerId": "prov"})
    bare = await call_action("resolve_inbound_ticket_defaults", {"providerId": "bare"})
    unknown = await call_action("resolve_inbound_ticket_defaults", {"providerId": "nope"})
    assert isinstance(found, dict)
    assert found["found"] is True
    assert (found["clientId"], found["locationId"], found["categoryId"]) == (
        ids["client"],
        "hq",
        None,
    )
    assert isinstance(bare, dict)
    assert isinstance(unknown, dict)
    assert bare["found"] is unknown["found"] is False


async def test_create_ticket_is_idempotent_and_binds_token_and_thread(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    ids = await _setup(pool, tenant_id)
    first = await _ticket(call_action, ids, "m1@mail.test")
    again = await _ticket(call_action, ids, "m1@mail.test")
    assert isinstance(first, dict)
    assert isinstance(again, dict)
    assert first["created"] is True
    assert again["created"] is False
    assert (again["ticketId"], again["ticketNumber"]) == (first["ticketId"], "TIC-000001")
    assert again["replyToken"] == first["replyToken"]
    by_token = await call_action(
        "find_ticket_by_reply_token", {"token": f"[{first['replyToken']}]"}
    )
    by_thread = await call_action("find_ticket_by_email_thread", {"inReplyTo": "<m1@mail.test>"})
    assert (
        by_token
        == by_thread
        == {"found": True, "ticketId": first["ticketId"], "ticketNumber": "TIC-000001"}
    )


async def test_create_ticket_with_unknown_client_fails_permanently(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    await _setup(pool, tenant_id)
    with pytest.raises(ActionFailedError) as failed:
        await call_action(
            "create_ticket_from_email",
            {"title": "x", "clientId": str(uuid.uuid4()), "messageId": "m9@x"},
        )
    assert (failed.value.name, failed.value.retryable) == ("UNKNOWN_REFERENCE", False)


async def test_lookups_find_nothing_for_unknown_token_and_ids(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    token = await call_action("find_ticket_by_reply_token", {"token": "SLU-AAAAAAAAAAAAAAAA"})
    thread = await call_action(
        "find_ticket_by_email_thread", {"inReplyTo": "a@b", "references": ["c@d"], "threadId": None}
    )
    assert token == thread == {"found": False, "ticketId": None, "ticketNumber": None}


async def test_reply_comment_from_client_contact_is_verified_else_flagged(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    ids = await _setup(pool, tenant_id)
    ticket = await _ticket(call_action, ids, "m2@mail.test")
    assert isinstance(ticket, dict)
    base = {"ticketId": ticket["ticketId"], "authorType": "contact", "text": "thanks"}
    jane = await call_action(
        "create_comment_from_email", {**base, "senderEmail": "JANE@acme.test"}, key="r1:t"
    )
    bob = await call_action(
        "create_comment_from_email", {**base, "senderEmail": "bob@other.test"}, key="r2:t"
    )
    again = await call_action(
        "create_comment_from_email", {**base, "senderEmail": "bob@other.test"}, key="r2:t"
    )
    assert isinstance(jane, dict)
    assert isinstance(bob, dict)
    assert isinstance(again, dict)
    assert (jane["unverifiedSender"], jane["authorContactId"]) == (False, ids["contact"])
    assert (bob["unverifiedSender"], bob["authorContactId"]) == (True, None)
    assert again["commentId"] == bob["commentId"]
    assert again["created"] is False
    async with pool.acquire() as conn:
        comments = await CommentRepository(conn, tenant_id).list_for_ticket(ticket["ticketId"])
    assert [c.author_address for c in comments] == ["JANE@acme.test", "bob@other.test"]
    assert comments[0].blocks[0]["type"] == "paragraph"


async def test_attachment_bytes_copied_once_and_unknown_id_fails(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    ids = await _setup(pool, tenant_id)
    ticket = await _ticket(call_action, ids, "m3@mail.test")
    assert isinstance(ticket, dict)
    data = bytes(range(256)) * 40
    [ref] = await store_inbound(pool, tenant_id, "m3@mail.test", {"log.bin": data})
    args = {"ticketId": ticket["ticketId"], "messageId": "m3@mail.test", "attachment": ref}
    first = await call_action("process_email_attachment", args)
    again = await call_action("process_email_attachment", args)
    assert isinstance(first, dict)
    assert isinstance(again, dict)
    assert first["sha256"] == hashlib.sha256(data).hexdigest()
    assert first["size"] == len(data)
    assert (first["created"], again["created"]) == (True, False)
    async with pool.acquire() as conn:
        assert await AttachmentRepository(conn, tenant_id).read_bytes(first["attachmentId"]) == data
    with pytest.raises(ActionFailedError) as failed:
        await call_action(
            "process_email_attachment", {**args, "attachment": {**ref, "id": str(uuid.uuid4())}}
        )
    assert (failed.value.name, failed.value.retryable) == ("ATTACHMENT_NOT_FOUND", False)


async def test_failure_task_is_created_once_per_key(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    args = {
        "title": "Email Processing Failure",
        "subject": "Help",
        "sender": "x@y.test",
        "error": {"name": "UNKNOWN_REFERENCE", "message": "no such client"},
    }
    first = await call_action(
        "create_human_task_for_email_processing_failure", args, key="p:m:failure"
    )
    again = await call_action(
        "create_human_task_for_email_processing_failure", args, key="p:m:failure"
    )
    assert isinstance(first, dict)
    assert first == again
    assert first["status"] == "OPEN"
    async with pool.acquire() as conn:
        page = await HumanTaskRepository(conn, tenant_id).list_tasks()
    assert len(page.items) == 1
    assert "x@y.test" in (page.items[0].description or "")
    assert "no such client" in (page.items[0].description or "")


async def test_ack_is_recorded_once_with_token_headers_and_thread(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    ids = await _setup(pool, tenant_id)
    ticket = await _ticket(call_action, ids, "m4@mail.test")
    assert isinstance(ticket, dict)
    args = {
        "ticketId": ticket["ticketId"],
        "to": "jane@acme.test",
        "providerId": "prov",
        "subject": "Printer broken",
        "inReplyTo": "m4@mail.test",
    }
    first = await call_action("send_ticket_acknowledgement_email", args, key="t:ack")
    again = await call_action("send_ticket_acknowledgement_email", args, key="t:ack")
    assert isinstance(first, dict)
    assert isinstance(again, dict)
    assert first["status"] == "pending"
    assert again["messageId"] == first["messageId"]
    async with pool.acquire() as conn:
        [row] = await OutboundEmailRepository(conn, tenant_id).list()
    assert f"[{ticket['replyToken']}]" in row.body_text
    assert row.headers["Auto-Submitted"] == "auto-replied"
    assert row.headers["From"] == f"in@{tenant_id}.test"
    assert row.headers["In-Reply-To"] == "<m4@mail.test>"
    reply = await call_action("find_ticket_by_email_thread", {"inReplyTo": f"<{row.message_id}>"})
    assert isinstance(reply, dict)
    assert reply["ticketId"] == ticket["ticketId"]


async def test_ack_rate_limited_per_address_and_skipped_for_auto_submitted(
    pool: asyncpg.Pool, tenant_id: str, call_action: CallAction
) -> None:
    ids = await _setup(pool, tenant_id)
    statuses = []
    for n in range(7):
        ticket = await _ticket(call_action, ids, f"burst{n}@mail.test")
        assert isinstance(ticket, dict)
        args = {"ticketId": ticket["ticketId"], "to": "Jane@acme.test"}
        result = await call_action("send_ticket_acknowledgement_email", args, key=f"{n}:ack")
        assert isinstance(result, dict)
        statuses.append(result["status"])
    skipped = await call_action(
        "send_ticket_acknowledgement_email", {**args, "autoSubmitted": True}, key="auto:ack"
    )
    assert statuses == ["pending"] * 5 + ["suppressed"] * 2
    assert isinstance(skipped, dict)
    assert skipped["status"] == "skipped"
