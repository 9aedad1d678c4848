"""SMTP intake through the real aiosmtpd listener, driven by aiosmtplib."""

from __future__ import annotations

import aiosmtplib
import asyncpg
import pytest
from ingest_samples import TEST_MAX_EMAIL_BYTES, new_message_id, outbox_events, simple_mail
from sluice_helpdesk import InboundEmailRepository, ProviderRepository
from sluice_ingest.context import IngestContext
from sluice_ingest.smtp import SmtpListener

pytestmark = pytest.mark.integration
SENDER = "jane@customer.example"


async def _smtp(port: int) -> aiosmtplib.SMTP:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10)
    await client.connect()
    return client


async def test_smtp_unknown_mailbox_refused_at_rcpt_with_550(smtp_port: int) -> None:
    client = await _smtp(smtp_port)
    try:
        await client.mail(SENDER)
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as refused:
            await client.rcpt("nobody@nowhere.example")
    finally:
        await client.quit()
    assert refused.value.code == 550
    assert "5.1.1" in refused.value.message


async def test_smtp_oversized_refused_with_552(smtp_port: int, mailbox: str) -> None:
    raw = simple_mail(mailbox, attachment=b"y" * TEST_MAX_EMAIL_BYTES)
    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await aiosmtplib.send(raw, sender=SENDER, recipients=[mailbox], hostname="127.0.0.1",
                              port=smtp_port)  # fmt: skip
    assert refused.value.code == 552


async def test_smtp_accepted_stored_with_lf_line_endings_and_event(
    smtp_port: int, ingest_context: IngestContext, pool: asyncpg.Pool, tenant_id: str,
    mailbox: str,
) -> None:  # fmt: skip
    message_id = new_message_id()
    raw = simple_mail(mailbox, message_id=message_id)
    assert b"\r\n" in raw
    errors, reply = await aiosmtplib.send(
        raw, sender=SENDER, recipients=[mailbox], hostname="127.0.0.1", port=smtp_port
    )
    assert errors == {}
    assert "accepted" in reply
    async with pool.acquire() as conn:
        stored = await InboundEmailRepository(conn, tenant_id).find("prov-1", message_id)
        assert stored is not None
        kept = await InboundEmailRepository(conn, tenant_id).raw_bytes(stored.inbound_email_id)
    assert kept == raw.replace(b"\r\n", b"\n")
    [event] = await outbox_events(pool, ingest_context.topics.events)
    assert event["body"]["correlationKey"] == message_id


async def test_smtp_multiple_recipients_handled_per_recipient(
    smtp_port: int, ingest_context: IngestContext, pool: asyncpg.Pool, tenant_id: str,
    mailbox: str,
) -> None:  # fmt: skip
    second = f"sales-{mailbox}"
    async with pool.acquire() as conn:
        await ProviderRepository(conn, tenant_id).save("prov-2", second, None)
    raw = simple_mail(mailbox)
    errors, reply = await aiosmtplib.send(
        raw, sender=SENDER, recipients=[mailbox, "nobody@nowhere.example", second],
        hostname="127.0.0.1", port=smtp_port,
    )  # fmt: skip
    assert list(errors) == ["nobody@nowhere.example"]
    assert errors["nobody@nowhere.example"].code == 550
    assert reply.count("accepted") == 2
    events = await outbox_events(pool, ingest_context.topics.events)
    assert sorted(e["body"]["payload"]["providerId"] for e in events) == ["prov-1", "prov-2"]


async def test_smtp_not_rfc822_refused_with_554(smtp_port: int, mailbox: str) -> None:
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await aiosmtplib.send(
            b"no header line here\r\njust text\r\n", sender=SENDER, recipients=[mailbox],
            hostname="127.0.0.1", port=smtp_port,
        )  # fmt: skip
    assert refused.value.code == 554
    assert "RFC 822" in refused.value.message


async def test_smtp_listener_stop_closes_open_sessions_and_frees_port(
    ingest_context: IngestContext,
) -> None:
    listener = SmtpListener(ingest_context, "127.0.0.1", 0)
    await listener.start()
    client = await _smtp(listener.port)
    await client.ehlo()
    await listener.stop()
    with pytest.raises(aiosmtplib.SMTPException):
        await client.noop()  # the session was closed by the shutdown
    again = SmtpListener(ingest_context, "127.0.0.1", listener.port)
    await again.start()  # the port is free again
    await again.stop()
