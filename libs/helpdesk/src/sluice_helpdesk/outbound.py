"""Outbound email outbox: rows written by actions, delivered by an SMTP sender.

Each row has a stable Message-ID chosen when it is written, so a sender that
crashes after handing the mail to SMTP and retries produces the same
Message-ID (receivers and our threading treat it as one mail). Idempotent on
the caller's key (``ticketId:ack`` for acknowledgements). Rate limiting per
recipient: ``recent_count`` counts mail to an address since a moment; a mail
over the limit is recorded as ``suppressed`` (kept, never sent).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from sluice_helpdesk.scope import TenantScoped, dump_json, load_json, normalise_address

_COLUMNS = (
    "outbound_email_id, ticket_id, idempotency_key, to_address, subject, body_text, body_html,"
    " message_id, headers::text AS headers, status, attempts, last_error, sent_at, created_at"
)


@dataclass(frozen=True)
class NewOutboundEmail:
    to_address: str
    subject: str
    body_text: str
    message_id: str
    body_html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ticket_id: str | None = None
    suppressed: bool = False


@dataclass(frozen=True)
class OutboundEmail:
    outbound_email_id: str
    ticket_id: str | None
    idempotency_key: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    message_id: str
    headers: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


def _outbound(row: asyncpg.Record) -> OutboundEmail:
    values = dict(row)
    values["outbound_email_id"] = str(values["outbound_email_id"])
    values["ticket_id"] = str(values["ticket_id"]) if values["ticket_id"] else None
    values["headers"] = load_json(values["headers"]) or {}
    return OutboundEmail(**values)


class OutboundEmailRepository(TenantScoped):
    async def enqueue(
        self, new: NewOutboundEmail, *, idempotency_key: str
    ) -> tuple[OutboundEmail, bool]:
        """``(email, created)``; the same key enqueues once."""
        row = await self.conn.fetchrow(
            f"INSERT INTO helpdesk_outbound_emails (tenant_id, outbound_email_id, ticket_id,"
            f" idempotency_key, to_address, subject, body_text, body_html, message_id, headers,"
            f" status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11)"
            f" ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING {_COLUMNS}",
            self.tenant_id, uuid.uuid4(), uuid.UUID(new.ticket_id) if new.ticket_id else None,
            idempotency_key, new.to_address.strip(), new.subject, new.body_text, new.body_html,
            new.message_id.strip("<>"), dump_json(new.headers),
            "suppressed" if new.suppressed else "pending",
        )  # fmt: skip
        if row is not None:
            return _outbound(row), True
        existing = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM helpdesk_outbound_emails"
            " WHERE tenant_id = $1 AND idempotency_key = $2",
            self.tenant_id,
            idempotency_key,
        )
        return _outbound(existing), False

    async def recent_count(self, to_address: str, since: datetime) -> int:
        """Mails to ``to_address`` written since ``since`` (suppressed ones excluded)."""
        count = await self.conn.fetchval(
            "SELECT count(*) FROM helpdesk_outbound_emails WHERE tenant_id = $1"
            " AND lower(to_address) = $2 AND created_at >= $3 AND status <> 'suppressed'",
            self.tenant_id,
            normalise_address(to_address),
            since,
        )
        return int(count)

    async def mark_sent(self, outbound_email_id: str, *, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE helpdesk_outbound_emails SET status = 'sent', sent_at = $3,"
            " attempts = attempts + 1, last_error = NULL WHERE tenant_id = $1"
            " AND outbound_email_id = $2",
            self.tenant_id,
            uuid.UUID(outbound_email_id),
            now,
        )

    async def mark_attempt_failed(
        self, outbound_email_id: str, error: str, *, retry_at: datetime | None
    ) -> None:
        """Record a failed attempt; ``retry_at`` None gives up (status ``failed``)."""
        await self.conn.execute(
            "UPDATE helpdesk_outbound_emails SET attempts = attempts + 1, last_error = $3,"
            " status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE status END,"
            " next_attempt_at = coalesce($4, next_attempt_at)"
            " WHERE tenant_id = $1 AND outbound_email_id = $2",
            self.tenant_id,
            uuid.UUID(outbound_email_id),
            error[:2000],
            retry_at,
        )

    async def list(self, *, limit: int = 50) -> list[OutboundEmail]:
        rows = await self.conn.fetch(
            f"SELECT {_COLUMNS} FROM helpdesk_outbound_emails WHERE tenant_id = $1"
            " ORDER BY created_at DESC, outbound_email_id DESC LIMIT $2",
            self.tenant_id,
            limit,
        )
        return [_outbound(r) for r in rows]
