"""The reference email workflow end to end, mail in through the real ingest service.

Real interpreter, scheduler (outbound sender), ingest (SMTP listener and
``POST /emails``) and API as subprocesses on Kafka + PostgreSQL; tenants seeded
as ``sluice seed`` does; acknowledgements land in an aiosmtpd sink started here.
One set of services for the module.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage

import asyncpg
import httpx
import pytest
from e2e_support.mail import (
    Mail,
    SmtpSink,
    count,
    fetch,
    run_of,
    seed,
    send_http,
    send_smtp,
    smtp_port,
    start_email_services,
)
from e2e_support.services import Services, wait_for
from sluice_helpdesk import ClientRepository, ContactRepository, ProviderRepository
from sluice_helpdesk.seeding import DEMO_CONTACT_EMAIL, demo_client_id
from sluice_storage import TokenRepository, transaction

pytestmark = pytest.mark.integration
PDF, PNG = b"%PDF-1.7\n" + bytes(range(256)) * 40, b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 500


@pytest.fixture(scope="module")
async def running(services_factory: Services, sink: SmtpSink) -> AsyncIterator[Services]:
    names = ("interpreter", "scheduler", "ingest", "api")
    await start_email_services(services_factory, sink.port, names)
    yield services_factory
    services_factory.stop_all()


@pytest.fixture
async def tenant(e2e_pool: asyncpg.Pool) -> tuple[str, str]:
    return await seed(e2e_pool)


async def deliver(services: Services, mail: Mail, *, http: bool = False) -> str:
    if http:
        return await send_http(services.ports["ingest"], mail.build(), mail.to)
    return await send_smtp(smtp_port(services), mail.build(), mail.to)


async def ack_for(sink: SmtpSink, message_id: str, services: Services) -> EmailMessage:
    async def found() -> EmailMessage | None:
        acks = sink.sink.replies_to(message_id)
        return acks[0] if acks else None

    ack: EmailMessage = await wait_for(found, 30, f"the acknowledgement of {message_id}", services)
    return ack


async def comments_of(pool: asyncpg.Pool, tenant: str) -> list[asyncpg.Record]:
    return await fetch(
        pool,
        "SELECT * FROM helpdesk_comments WHERE tenant_id = $1 ORDER BY created_at, comment_id",
        tenant,
    )


async def test_new_email_with_two_attachments_then_replies_by_token_and_by_headers(
    running: Services, e2e_pool: asyncpg.Pool, sink: SmtpSink, tenant: tuple[str, str]
) -> None:
    name, mailbox = tenant
    first = Mail(DEMO_CONTACT_EMAIL, mailbox, "Printer jams", "It jams on page 2.",
                 attachments={"report.pdf": PDF, "photo.png": PNG})  # fmt: skip
    assert await deliver(running, first) == "accepted"
    run = await run_of(e2e_pool, name, first.message_id, running)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "EMAIL_PROCESSED")
    [ticket] = await fetch(e2e_pool, "SELECT * FROM helpdesk_tickets WHERE tenant_id = $1", name)
    assert (ticket["title"], ticket["description"]) == ("Printer jams", "It jams on page 2.")
    assert (str(ticket["client_id"]), ticket["location"]) == (demo_client_id(name), "head-office")
    assert ticket["contact_id"] is not None
    stored = await fetch(
        e2e_pool, "SELECT name, sha256, data FROM helpdesk_attachments WHERE tenant_id = $1", name
    )
    expected = {"report.pdf": PDF, "photo.png": PNG}
    assert {r["name"]: bytes(r["data"]) for r in stored} == expected
    assert {r["name"]: r["sha256"] for r in stored} == {
        n: hashlib.sha256(d).hexdigest() for n, d in expected.items()
    }
    ack = await ack_for(sink, first.message_id, running)
    assert ack["Auto-Submitted"] == "auto-replied"
    token = ack.get_content().split("Reference: ")[1].split("]")[0] + "]"

    quoted = f"Still broken.\n\nOn Mon, Support wrote:\n> Reference: {token}\n> old text\n"
    quoted_html = (  # as Gmail quotes: the token only inside the quoted history
        '<div>Still broken.</div><div class="gmail_quote"><div>On Mon, Support wrote:</div>'
        f'<blockquote class="gmail_quote">We got it.<br>Reference: {token}</blockquote></div>'
    )
    by_token = Mail(DEMO_CONTACT_EMAIL, mailbox, "Re: Printer jams", quoted, html=quoted_html)
    by_headers = Mail(DEMO_CONTACT_EMAIL, mailbox, "Re: Printer jams",
                      "Any news?\n\nOn Mon, Support wrote:\n> We received your message.\n",
                      headers={"In-Reply-To": ack["Message-ID"],
                               "References": ack["Message-ID"]})  # fmt: skip
    assert await deliver(running, by_token, http=True) == "accepted"
    assert (await run_of(e2e_pool, name, by_token.message_id, running))["state"] == (
        "EMAIL_PROCESSED"
    )
    assert await deliver(running, by_headers) == "accepted"
    assert (await run_of(e2e_pool, name, by_headers.message_id, running))["state"] == (
        "EMAIL_PROCESSED"
    )
    comments = await comments_of(e2e_pool, name)
    assert [c["author_type"] for c in comments] == ["internal", "contact", "contact"]
    assert [(c["format"], c["content"]) for c in comments[1:]] == [
        ("html", "<div>Still broken.</div>"), ("text", "Any news?"),
    ]  # fmt: skip
    assert {c["ticket_id"] for c in comments} == {ticket["ticket_id"]}
    assert not any(c["unverified_sender"] for c in comments)
    assert await count(e2e_pool, "helpdesk_tickets", name) == 1
    assert await count(e2e_pool, "helpdesk_outbound_emails", name) == 1


async def test_unknown_sender_gets_ticket_on_default_client_and_no_ack(
    running: Services, e2e_pool: asyncpg.Pool, tenant: tuple[str, str]
) -> None:
    name, mailbox = tenant
    mail = Mail("stranger@else.test", mailbox, "Hello", "Who do I talk to?")
    assert await deliver(running, mail, http=True) == "accepted"
    run = await run_of(e2e_pool, name, mail.message_id, running)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "EMAIL_PROCESSED")
    [ticket] = await fetch(e2e_pool, "SELECT * FROM helpdesk_tickets WHERE tenant_id = $1", name)
    assert (str(ticket["client_id"]), ticket["contact_id"]) == (demo_client_id(name), None)
    await asyncio.sleep(0.5)  # the sender polls every 0.25 s: an ack row would exist by now
    assert await count(e2e_pool, "helpdesk_outbound_emails", name) == 0


async def test_contact_of_another_client_gets_its_client_and_no_default_location(
    running: Services, e2e_pool: asyncpg.Pool, sink: SmtpSink, tenant: tuple[str, str]
) -> None:
    name, mailbox = tenant
    async with transaction(e2e_pool) as conn:
        other = await ClientRepository(conn, name).create("Other Corp")
        await ContactRepository(conn, name).create("boss@other.test", client_id=other.client_id)
    mail = Mail("boss@other.test", mailbox, "Invoice", "Where is it?")
    assert await deliver(running, mail) == "accepted"
    assert (await run_of(e2e_pool, name, mail.message_id, running))["state"] == "EMAIL_PROCESSED"
    [ticket] = await fetch(e2e_pool, "SELECT * FROM helpdesk_tickets WHERE tenant_id = $1", name)
    assert (str(ticket["client_id"]), ticket["location"]) == (str(other.client_id), None)
    assert (await ack_for(sink, mail.message_id, running))["To"] == "boss@other.test"


async def test_no_defaults_for_the_provider_ends_without_ticket(
    running: Services, e2e_pool: asyncpg.Pool, tenant: tuple[str, str]
) -> None:
    name, mailbox = tenant
    async with transaction(e2e_pool) as conn:
        await ProviderRepository(conn, name).save("default", mailbox, None)
    mail = Mail(DEMO_CONTACT_EMAIL, mailbox, "No defaults", "Hi")
    assert await deliver(running, mail) == "accepted"
    run = await run_of(e2e_pool, name, mail.message_id, running)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "ERROR_NO_TICKET_DEFAULTS")
    assert await count(e2e_pool, "helpdesk_tickets", name) == 0


async def test_permanent_failure_creates_task_completable_through_the_api(
    running: Services, e2e_pool: asyncpg.Pool, tenant: tuple[str, str]
) -> None:
    name, mailbox = tenant
    async with transaction(e2e_pool) as conn:  # a default client that does not exist
        await ProviderRepository(conn, name).save(
            "default", mailbox, {"clientId": str(uuid.uuid4())}
        )
    mail = Mail("nobody@else.test", mailbox, "Broken defaults", "Hi")
    assert await deliver(running, mail) == "accepted"
    run = await run_of(e2e_pool, name, mail.message_id, running)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "AWAITING_MANUAL_RESOLUTION")
    assert await count(e2e_pool, "helpdesk_tickets", name) == 0
    async with transaction(e2e_pool) as conn:
        issued = await TokenRepository(conn, name).create(
            subject="agent", role="workflow.manage", now=datetime.now(UTC), expires_at=None
        )
    api = f"http://127.0.0.1:{running.ports['api']}"
    headers = {"Authorization": f"Bearer {issued.token}"}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=10) as client:
        [task] = (await client.get("/human-tasks", params={"runId": str(run["run_id"])})).json()[
            "items"
        ]
        assert (task["title"], task["status"]) == ("Email Processing Failure", "OPEN")
        assert "UNKNOWN_REFERENCE" in task["description"]
        done = await client.post(
            f"/human-tasks/{task['taskId']}/complete", json={"resolution": "resolved"}
        )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "COMPLETED"


async def test_same_email_three_times_smtp_and_http_concurrently_one_of_each(
    running: Services, e2e_pool: asyncpg.Pool, sink: SmtpSink, tenant: tuple[str, str]
) -> None:
    name, mailbox = tenant
    mail = Mail(DEMO_CONTACT_EMAIL, mailbox, "Thrice", "Please help",
                attachments={"a.pdf": PDF, "b.png": PNG})  # fmt: skip
    answers = await asyncio.gather(
        deliver(running, mail), deliver(running, mail, http=True), deliver(running, mail)
    )
    assert sorted(answers) == ["accepted", "duplicate", "duplicate"]
    run = await run_of(e2e_pool, name, mail.message_id, running)
    assert run["state"] == "EMAIL_PROCESSED"
    await ack_for(sink, mail.message_id, running)
    await asyncio.sleep(1.0)  # a second delivery would reach the sink within the sender's poll
    tables = ("workflow_runs", "helpdesk_tickets", "helpdesk_comments",
              "helpdesk_attachments", "helpdesk_outbound_emails")  # fmt: skip
    counts = [await count(e2e_pool, table, name) for table in tables]
    assert counts == [1, 1, 1, 2, 1]
    assert len(sink.sink.replies_to(mail.message_id)) == 1


async def test_out_of_office_reply_to_the_ack_is_a_comment_never_an_ack(
    running: Services, e2e_pool: asyncpg.Pool, sink: SmtpSink, tenant: tuple[str, str]
) -> None:
    name, mailbox = tenant
    first = Mail(DEMO_CONTACT_EMAIL, mailbox, "Mail is slow", "Since Monday.")
    assert await deliver(running, first) == "accepted"
    ack = await ack_for(sink, first.message_id, running)
    auto = Mail(DEMO_CONTACT_EMAIL, mailbox, "Automatic reply: Mail is slow",
                "I am out of the office until Monday.",
                headers={"In-Reply-To": ack["Message-ID"],
                         "Auto-Submitted": "auto-replied"})  # fmt: skip
    assert await deliver(running, auto) == "accepted"
    run = await run_of(e2e_pool, name, auto.message_id, running)
    assert run["state"] == "EMAIL_PROCESSED"
    await asyncio.sleep(1.0)
    assert await count(e2e_pool, "helpdesk_tickets", name) == 1
    assert await count(e2e_pool, "helpdesk_comments", name) <= 2
    assert await count(e2e_pool, "helpdesk_outbound_emails", name) == 1
    assert sink.sink.replies_to(auto.message_id) == []
    assert len(sink.sink.replies_to(first.message_id)) == 1


async def test_reply_from_a_stranger_is_kept_flagged_unverified(
    running: Services, e2e_pool: asyncpg.Pool, sink: SmtpSink, tenant: tuple[str, str]
) -> None:
    name, mailbox = tenant
    async with transaction(e2e_pool) as conn:
        await ContactRepository(conn, name).create("other@else.test", client_id=None)
    first = Mail(DEMO_CONTACT_EMAIL, mailbox, "Laptop", "Screen flickers.")
    assert await deliver(running, first, http=True) == "accepted"
    ack = await ack_for(sink, first.message_id, running)
    reply = Mail("other@else.test", mailbox, "Re: Laptop", "Same here.",
                 headers={"In-Reply-To": ack["Message-ID"]})  # fmt: skip
    assert await deliver(running, reply) == "accepted"
    assert (await run_of(e2e_pool, name, reply.message_id, running))["state"] == "EMAIL_PROCESSED"
    comments = await comments_of(e2e_pool, name)
    assert [(c["author_type"], c["unverified_sender"]) for c in comments] == [
        ("internal", False), ("contact", True),
    ]  # fmt: skip
    assert comments[1]["author_address"] == "other@else.test"
