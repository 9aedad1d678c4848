"""The outbound mail sender: delivers ``helpdesk_outbound_emails`` rows over SMTP (aiosmtplib).

Protocol (ARCHITECTURE "Actions": an effect outside the database is recorded
first, then delivered by an idempotent sender):

1. claim: one short transaction takes due ``pending`` rows of every tenant
   with ``FOR UPDATE SKIP LOCKED`` and sets a lease (``lease_until``), so
   several senders never take the same row and a dead sender's rows come back
   when the lease ends;
2. deliver each claimed row outside any transaction, with its stable
   Message-ID (a retry after a crash between SMTP accept and step 3 sends the
   same Message-ID again: receivers and our threading see one mail);
3. mark it ``sent``, or record the failed attempt with the next retry time
   (exponential backoff); after ``MAX_ATTEMPTS`` it is ``failed`` and kept
   with its last error, never deleted.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
import asyncpg

from sluice_helpdesk.outbound import OutboundEmailRepository

log = logging.getLogger(__name__)

# 8 attempts at 30 s * 2^n (capped at 1 h): retries span about 1 h 30 min, long
# enough to ride out a relay restart or a short outage, short enough to alert.
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=2)  # > SMTP timeout: a live sender always finishes inside it
SMTP_TIMEOUT_S = 30.0
BATCH = 20

_CLAIM_SQL = """
UPDATE helpdesk_outbound_emails o SET lease_until = $1 + $2::interval
FROM (SELECT tenant_id, outbound_email_id FROM helpdesk_outbound_emails
      WHERE status = 'pending' AND next_attempt_at <= $1
        AND (lease_until IS NULL OR lease_until < $1)
      ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
WHERE o.tenant_id = due.tenant_id AND o.outbound_email_id = due.outbound_email_id
RETURNING o.tenant_id, o.outbound_email_id, o.to_address, o.subject, o.body_text,
          o.body_html, o.message_id, o.headers::text AS headers, o.attempts, o.created_at
"""


@dataclass(frozen=True)
class Claimed:
    tenant_id: str
    outbound_email_id: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    message_id: str
    headers: dict[str, str]
    attempts: int
    created_at: datetime


Deliver = Callable[[EmailMessage], Awaitable[None]]


def retry_at(attempts_before: int, now: datetime) -> datetime | None:
    """When to try again after failed attempt number ``attempts_before + 1``; None: give up."""
    if attempts_before + 1 >= MAX_ATTEMPTS:
        return None
    delay: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * (2**attempts_before))
    return now + delay


def build_message(mail: Claimed) -> EmailMessage:
    message = EmailMessage()
    for name, value in mail.headers.items():
        if name.lower() not in ("to", "subject", "message-id", "date"):
            message[name] = value
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = f"<{mail.message_id}>"
    message["Date"] = format_datetime(mail.created_at)
    message.set_content(mail.body_text)
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    return message


def smtp_delivery(host: str, port: int) -> Deliver:
    async def deliver(message: EmailMessage) -> None:
        await aiosmtplib.send(message, hostname=host, port=port, timeout=SMTP_TIMEOUT_S)

    return deliver


async def claim_due(pool: asyncpg.Pool, now: datetime, limit: int = BATCH) -> list[Claimed]:
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(_CLAIM_SQL, now, LEASE, limit)
    claimed = []
    for row in rows:
        values = dict(row)
        values["outbound_email_id"] = str(values["outbound_email_id"])
        values["headers"] = json.loads(values["headers"] or "{}")
        claimed.append(Claimed(**values))
    return claimed


async def deliver_one(pool: asyncpg.Pool, mail: Claimed, deliver: Deliver, now: datetime) -> bool:
    """Send one claimed mail and record the outcome; True when it was accepted."""
    try:
        message = build_message(mail)
        if not message["From"]:
            raise ValueError("the outbound row has no From header")
    except (ValueError, TypeError) as exc:  # a header the email package refuses: never sendable
        await _record_failure(pool, mail, exc, None)
        return False
    try:
        await deliver(message)
    except ValueError as exc:  # aiosmtplib's refusal of the message itself: never sendable
        await _record_failure(pool, mail, exc, None)
        return False
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        await _record_failure(pool, mail, exc, retry_at(mail.attempts, now))
        return False
    async with pool.acquire() as conn:
        repo = OutboundEmailRepository(conn, mail.tenant_id)
        await repo.mark_sent(mail.outbound_email_id, now=now)
        await _release(conn, mail)
    return True


async def _record_failure(
    pool: asyncpg.Pool, mail: Claimed, exc: Exception, when: datetime | None
) -> None:
    log.warning("outbound %s to %s failed (attempt %d, retry at %s): %r",
                mail.outbound_email_id, mail.to_address, mail.attempts + 1, when, exc)  # fmt: skip
    async with pool.acquire() as conn:
        repo = OutboundEmailRepository(conn, mail.tenant_id)
        await repo.mark_attempt_failed(mail.outbound_email_id, repr(exc), retry_at=when)
        await _release(conn, mail)


async def _release(conn: asyncpg.Connection, mail: Claimed) -> None:
    await conn.execute(
        "UPDATE helpdesk_outbound_emails SET lease_until = NULL"
        " WHERE tenant_id = $1 AND outbound_email_id = $2::uuid",
        mail.tenant_id,
        mail.outbound_email_id,
    )


async def send_due(
    pool: asyncpg.Pool, deliver: Deliver, clock: Callable[[], datetime]
) -> tuple[int, int]:
    """One round: claim due mail and deliver it; returns (sent, failed)."""
    claimed = await claim_due(pool, clock())
    # Concurrently: one slow recipient server must not hold up the rest of the batch.
    outcomes = await asyncio.gather(*(deliver_one(pool, m, deliver, clock()) for m in claimed))
    sent = sum(outcomes)
    return sent, len(outcomes) - sent
