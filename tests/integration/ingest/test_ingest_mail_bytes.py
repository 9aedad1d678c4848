"""Mail is never lost to a byte (issue 17): over SMTP, a message with NUL bytes,
invalid UTF-8, an unknown charset or a NUL in a header is accepted (250), its raw
bytes stored unchanged, and the text the workflow gets has each bad character
replaced by U+FFFD, the places listed in ``emailData.textReplaced``. Each case by
name, then arbitrary bytes (hypothesis): never a 4xx, never a 5xx but for the
documented refusals."""

from __future__ import annotations

import aiosmtplib
import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_samples import new_message_id, outbox_events
from sluice_helpdesk import InboundEmailRepository
from sluice_ingest.context import IngestContext
from sluice_mail import normalise_line_endings

pytestmark = pytest.mark.integration
SENDER = "jane@customer.example"


def mail(mailbox: str, message_id: str, subject: bytes, headers: bytes, body: bytes) -> bytes:
    return (b"From: Jane <jane@customer.example>\r\nTo: " + mailbox.encode()
            + b"\r\nSubject: " + subject + b"\r\nMessage-ID: <" + message_id.encode() + b">\r\n"
            + headers + b"\r\n" + body)  # fmt: skip


PLAIN = b"Content-Type: text/plain; charset=utf-8\r\n"
# name: (subject, headers, body, where the text was replaced, what the body text holds)
CASES = {
    "nul_in_body": (b"Hi", PLAIN, b"hello\x00world\r\n", ["/emailData/body/text"],
                    "hello\ufffdworld"),
    "nul_in_base64_body": (b"Hi", PLAIN + b"Content-Transfer-Encoding: base64\r\n",
                           b"aGVsbG8Ad29ybGQ=\r\n", ["/emailData/body/text"], "hello\ufffdworld"),
    "nul_in_subject_header": (b"H\x00i", PLAIN, b"body\r\n", ["/emailData/subject"], "body"),
    "nul_in_encoded_word": (b"=?utf-8?q?a=00b?=", PLAIN, b"body\r\n", ["/emailData/subject"],
                            "body"),
    "invalid_utf8": (b"Hi", PLAIN, b"caf\xe9 \xff\r\n", None, "caf\u00e9 \u00ff"),
    "unknown_charset": (b"Hi", b"Content-Type: text/plain; charset=x-klingon\r\n",
                        b"qapla\xe9\r\n", None, "qapla\u00e9"),
    "nul_in_html": (b"Hi", b"Content-Type: text/html; charset=utf-8\r\n",
                    b"<p>a\x00b</p>\r\n", ["/emailData/body/html"], None),
}  # fmt: skip


@pytest.mark.parametrize(("subject", "headers", "body", "replaced", "text"), CASES.values(),
                         ids=CASES)  # fmt: skip
async def test_mail_with_bad_bytes_is_accepted_kept_raw_and_replaced_in_text(
    smtp_port: int, ingest_context: IngestContext, pool: asyncpg.Pool, tenant_id: str,
    mailbox: str, subject: bytes, headers: bytes, body: bytes, replaced: list[str] | None,
    text: str | None,
) -> None:  # fmt: skip
    message_id = new_message_id()
    raw = mail(mailbox, message_id, subject, headers, body)
    errors, reply = await aiosmtplib.send(
        raw, sender=SENDER, recipients=[mailbox], hostname="127.0.0.1", port=smtp_port
    )
    assert errors == {}
    assert reply.startswith("2.0.0 OK accepted"), reply
    async with pool.acquire() as conn:
        repo = InboundEmailRepository(conn, tenant_id)
        stored = await repo.find("prov-1", message_id)
        assert stored is not None
        assert stored.status == "accepted"
        assert await repo.raw_bytes(stored.inbound_email_id) == raw.replace(b"\r\n", b"\n")
    [event] = await outbox_events(pool, ingest_context.topics.events)
    email = event["body"]["payload"]["emailData"]
    assert email.get("textReplaced") == replaced
    if text is not None:
        assert email["body"]["text"].strip() == text
    assert "\x00" not in str(email)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.binary(max_size=300), subject=st.binary(max_size=40).map(
    lambda b: b.replace(b"\r", b"").replace(b"\n", b"")))  # fmt: skip
async def test_arbitrary_bytes_are_never_a_temporary_failure(
    smtp_port: int, pool: asyncpg.Pool, tenant_id: str, mailbox: str, body: bytes,
    subject: bytes,
) -> None:  # fmt: skip
    message_id = new_message_id()
    raw = mail(mailbox, message_id, subject, b"Content-Type: text/plain; charset=utf-8\r\n",
               body)  # fmt: skip
    try:
        errors, reply = await aiosmtplib.send(
            raw, sender=SENDER, recipients=[mailbox], hostname="127.0.0.1", port=smtp_port
        )
    except aiosmtplib.SMTPResponseException as refused:
        pytest.fail(f"refused {refused.code} {refused.message} for {raw!r}")
    assert errors == {}
    assert reply.startswith("2.0.0 OK "), reply
    async with pool.acquire() as conn:
        repo = InboundEmailRepository(conn, tenant_id)
        stored = await repo.find("prov-1", message_id)
        assert stored is not None, reply
        kept = await repo.raw_bytes(stored.inbound_email_id)
    # What SMTP carries (dot-stuffing undone, line ends as LF) is stored byte for byte;
    # DATA must end with a line end, so the client adds one when the message has none.
    sent = normalise_line_endings(raw)
    assert kept == (sent if sent.endswith(b"\n") else sent + b"\n")
