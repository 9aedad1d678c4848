"""Inbound emails as received (raw bytes kept) and their attachment bytes.

One row per ``(tenant, provider, Message-ID)``: recording the same message
again returns the first row and ``created=False``, which intake reports as
``duplicate``. Failed messages are kept too, with their reason, so nothing
received is lost.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from sluice_helpdesk.scope import TenantScoped, normalise_message_id

InboundStatus = Literal["accepted", "failed"]
_COLUMNS = (
    "inbound_email_id, provider_id, message_id, status, reason, size, subject, from_address,"
    " received_at"
)


@dataclass(frozen=True)
class InboundEmail:
    inbound_email_id: str
    provider_id: str
    message_id: str
    status: str
    reason: str | None
    size: int
    subject: str | None
    from_address: str | None
    received_at: datetime


@dataclass(frozen=True)
class InboundAttachment:
    part_id: str
    name: str
    content_type: str
    data: bytes
    content_id: str | None = None


def _inbound(row: asyncpg.Record) -> InboundEmail:
    values = dict(row)
    values["inbound_email_id"] = str(values["inbound_email_id"])
    return InboundEmail(**values)


class InboundEmailRepository(TenantScoped):
    async def record(
        self,
        provider_id: str,
        message_id: str,
        raw: bytes,
        *,
        status: InboundStatus,
        reason: str | None = None,
        subject: str | None = None,
        from_address: str | None = None,
    ) -> tuple[InboundEmail, bool]:
        """``(email, created)``; the same provider + Message-ID is stored once."""
        row = await self.conn.fetchrow(
            f"INSERT INTO helpdesk_inbound_emails (tenant_id, inbound_email_id, provider_id,"
            f" message_id, status, reason, raw, size, subject, from_address)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            f" ON CONFLICT (tenant_id, provider_id, message_id) DO NOTHING RETURNING {_COLUMNS}",
            self.tenant_id, uuid.uuid4(), provider_id, normalise_message_id(message_id), status,
            reason, raw, len(raw), subject, from_address,
        )  # fmt: skip
        if row is not None:
            return _inbound(row), True
        existing = await self.find(provider_id, message_id)
        if existing is None:  # impossible: the conflicting row committed before DO NOTHING
            raise LookupError(f"inbound email {message_id!r} vanished")
        return existing, False

    async def find(self, provider_id: str, message_id: str) -> InboundEmail | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM helpdesk_inbound_emails WHERE tenant_id = $1"
            " AND provider_id = $2 AND message_id = $3",
            self.tenant_id,
            provider_id,
            normalise_message_id(message_id),
        )
        return _inbound(row) if row else None

    async def raw_bytes(self, inbound_email_id: str) -> bytes | None:
        data = await self.conn.fetchval(
            "SELECT raw FROM helpdesk_inbound_emails WHERE tenant_id = $1"
            " AND inbound_email_id = $2",
            self.tenant_id,
            uuid.UUID(inbound_email_id),
        )
        return bytes(data) if data is not None else None

    async def store_attachment(self, inbound_email_id: str, attachment: InboundAttachment) -> str:
        """Store one attachment's bytes; returns its id (the same id when stored again)."""
        email_id = uuid.UUID(inbound_email_id)
        await self.conn.execute(
            "INSERT INTO helpdesk_inbound_attachments (tenant_id, attachment_id,"
            " inbound_email_id, part_id, name, content_type, size, sha256, content_id, data)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (tenant_id, inbound_email_id, part_id) DO NOTHING",
            self.tenant_id, uuid.uuid4(), email_id, attachment.part_id, attachment.name,
            attachment.content_type, len(attachment.data),
            hashlib.sha256(attachment.data).hexdigest(), attachment.content_id, attachment.data,
        )  # fmt: skip
        found = await self.conn.fetchval(
            "SELECT attachment_id FROM helpdesk_inbound_attachments WHERE tenant_id = $1"
            " AND inbound_email_id = $2 AND part_id = $3",
            self.tenant_id,
            email_id,
            attachment.part_id,
        )
        return str(found)

    async def read_attachment(self, attachment_id: str) -> InboundAttachment | None:
        row = await self.conn.fetchrow(
            "SELECT part_id, name, content_type, data, content_id"
            " FROM helpdesk_inbound_attachments WHERE tenant_id = $1 AND attachment_id = $2",
            self.tenant_id,
            uuid.UUID(attachment_id),
        )
        if row is None:
            return None
        values = dict(row)
        values["data"] = bytes(values["data"])
        return InboundAttachment(**values)
