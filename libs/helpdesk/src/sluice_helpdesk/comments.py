"""Comments on tickets, created idempotently (key ``messageId:ticketId``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import asyncpg

from sluice_helpdesk.scope import TenantScoped, dump_json, load_json

AuthorType = Literal["contact", "internal", "system"]
CommentFormat = Literal["html", "text"]
_COLUMNS = (
    "comment_id, ticket_id, author_type, author_contact_id, author_address, format, content,"
    " blocks::text AS blocks, unverified_sender, source_message_id, idempotency_key, created_at"
)


@dataclass(frozen=True)
class NewComment:
    ticket_id: str
    author_type: AuthorType
    format: CommentFormat
    content: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    author_contact_id: str | None = None
    author_address: str | None = None
    unverified_sender: bool = False
    source_message_id: str | None = None


@dataclass(frozen=True)
class Comment:
    comment_id: str
    ticket_id: str
    author_type: str
    author_contact_id: str | None
    author_address: str | None
    format: str
    content: str
    blocks: list[dict[str, Any]]
    unverified_sender: bool
    source_message_id: str | None
    idempotency_key: str | None
    created_at: datetime


def _comment(row: asyncpg.Record) -> Comment:
    values = dict(row)
    values["comment_id"] = str(values["comment_id"])
    values["ticket_id"] = str(values["ticket_id"])
    contact = values["author_contact_id"]
    values["author_contact_id"] = str(contact) if contact else None
    values["blocks"] = load_json(values["blocks"]) or []
    return Comment(**values)


class CommentRepository(TenantScoped):
    async def create(
        self, new: NewComment, *, idempotency_key: str | None = None
    ) -> tuple[Comment, bool]:
        """``(comment, created)``; a key already used returns the existing comment."""
        row = await self.conn.fetchrow(
            f"INSERT INTO helpdesk_comments (tenant_id, comment_id, ticket_id, author_type,"
            f" author_contact_id, author_address, format, content, blocks, unverified_sender,"
            f" source_message_id, idempotency_key)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11, $12)"
            f" ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING {_COLUMNS}",
            self.tenant_id, uuid.uuid4(), uuid.UUID(new.ticket_id), new.author_type,
            uuid.UUID(new.author_contact_id) if new.author_contact_id else None,
            new.author_address, new.format, new.content, dump_json(new.blocks),
            new.unverified_sender, new.source_message_id, idempotency_key,
        )  # fmt: skip
        if row is not None:
            return _comment(row), True
        existing = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM helpdesk_comments"
            " WHERE tenant_id = $1 AND idempotency_key = $2",
            self.tenant_id,
            idempotency_key,
        )
        return _comment(existing), False

    async def list_for_ticket(self, ticket_id: str, *, limit: int = 50) -> list[Comment]:
        """Oldest first (SPEC 13)."""
        rows = await self.conn.fetch(
            f"SELECT {_COLUMNS} FROM helpdesk_comments WHERE tenant_id = $1 AND ticket_id = $2"
            " ORDER BY created_at, comment_id LIMIT $3",
            self.tenant_id,
            uuid.UUID(ticket_id),
            limit,
        )
        return [_comment(r) for r in rows]
