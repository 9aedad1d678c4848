"""Small RFC 822 messages built for the ingest tests, and what the tests read back."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import asyncpg

# Small on purpose: the oversize tests send a little more than this.
TEST_MAX_EMAIL_BYTES = 512 * 1024


def new_message_id() -> str:
    return f"{uuid.uuid4().hex}@customer.example"


def simple_mail(
    to: str,
    *,
    message_id: str | None = None,
    subject: str = "Printer on fire",
    extra_headers: dict[str, str] | None = None,
    attachment: bytes | None = None,
) -> bytes:
    """A plain mail (CRLF line endings, as SMTP carries it), optionally with one PDF."""
    message = EmailMessage()
    message["From"] = "Jane Customer <jane@customer.example>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id or new_message_id()}>"
    message["Date"] = "Tue, 03 Jun 2025 10:00:00 +0000"
    for name, value in (extra_headers or {}).items():
        message[name] = value
    message.set_content("Hello,\nthe printer is on fire.\nJane\n")
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename="report.pdf"
        )
    return message.as_bytes(policy=SMTP)


async def outbox_events(pool: asyncpg.Pool, topic: str) -> list[dict[str, Any]]:
    """The envelopes enqueued on ``topic`` (with their Kafka key), oldest first."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT key, payload FROM outbox WHERE topic = $1 ORDER BY id", topic
        )
    return [{"key": r["key"], **r["payload"]} for r in rows]
