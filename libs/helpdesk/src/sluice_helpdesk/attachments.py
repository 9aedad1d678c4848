"""Ticket attachments: bytes in PostgreSQL (bytea) under a size cap, with a checksum.

Idempotent on ``(ticket, message id, source attachment id)``, the key
``ticketId:messageId:attachmentId`` of SPEC 12 as a unique constraint. The
checksum is computed here from the bytes, never trusted from the caller.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from sluice_helpdesk.errors import AttachmentTooLargeError
from sluice_helpdesk.scope import TenantScoped, normalise_message_id

# 25 MiB: the common mail-server message limit, so no single attachment of an
# accepted mail exceeds it; the database refuses anything larger outright.
DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
_META = (
    "attachment_id, ticket_id, comment_id, message_id, source_attachment_id, name,"
    " content_type, size, sha256, content_id, created_at"
)


@dataclass(frozen=True)
class NewAttachment:
    ticket_id: str
    message_id: str
    source_attachment_id: str
    name: str
    content_type: str
    data: bytes
    content_id: str | None = None
    comment_id: str | None = None


@dataclass(frozen=True)
class Attachment:
    attachment_id: str
    ticket_id: str
    comment_id: str | None
    message_id: str
    source_attachment_id: str
    name: str
    content_type: str
    size: int
    sha256: str
    content_id: str | None
    created_at: datetime


def _attachment(row: asyncpg.Record) -> Attachment:
    values = dict(row)
    values["attachment_id"] = str(values["attachment_id"])
    values["ticket_id"] = str(values["ticket_id"])
    values["comment_id"] = str(values["comment_id"]) if values["comment_id"] else None
    return Attachment(**values)


class AttachmentRepository(TenantScoped):
    def __init__(
        self,
        conn: asyncpg.Connection,
        tenant_id: str,
        *,
        max_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    ) -> None:
        super().__init__(conn, tenant_id)
        self.max_bytes = max_bytes

    async def create(self, new: NewAttachment) -> tuple[Attachment, bool]:
        """``(attachment, created)``; the same (ticket, message, attachment id) stores once."""
        if len(new.data) > self.max_bytes:
            raise AttachmentTooLargeError(
                f"attachment {new.name!r} is {len(new.data)} bytes,"
                f" over the cap of {self.max_bytes}"
            )
        message_id = normalise_message_id(new.message_id)
        row = await self.conn.fetchrow(
            f"INSERT INTO helpdesk_attachments (tenant_id, attachment_id, ticket_id, comment_id,"
            f" message_id, source_attachment_id, name, content_type, size, sha256, content_id,"
            f" data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            f" ON CONFLICT (tenant_id, ticket_id, message_id, source_attachment_id) DO NOTHING"
            f" RETURNING {_META}",
            self.tenant_id, uuid.uuid4(), uuid.UUID(new.ticket_id),
            uuid.UUID(new.comment_id) if new.comment_id else None, message_id,
            new.source_attachment_id, new.name, new.content_type, len(new.data),
            hashlib.sha256(new.data).hexdigest(), new.content_id, new.data,
        )  # fmt: skip
        if row is not None:
            return _attachment(row), True
        existing = await self.conn.fetchrow(
            f"SELECT {_META} FROM helpdesk_attachments WHERE tenant_id = $1 AND ticket_id = $2"
            " AND message_id = $3 AND source_attachment_id = $4",
            self.tenant_id,
            uuid.UUID(new.ticket_id),
            message_id,
            new.source_attachment_id,
        )
        return _attachment(existing), False

    async def list_for_ticket(self, ticket_id: str, *, limit: int = 50) -> list[Attachment]:
        rows = await self.conn.fetch(
            f"SELECT {_META} FROM helpdesk_attachments WHERE tenant_id = $1 AND ticket_id = $2"
            " ORDER BY created_at, attachment_id LIMIT $3",
            self.tenant_id,
            uuid.UUID(ticket_id),
            limit,
        )
        return [_attachment(r) for r in rows]

    async def read_bytes(self, attachment_id: str) -> bytes | None:
        data = await self.conn.fetchval(
            "SELECT data FROM helpdesk_attachments WHERE tenant_id = $1 AND attachment_id = $2",
            self.tenant_id,
            uuid.UUID(attachment_id),
        )
        return bytes(data) if data is not None else None
