"""Contacts: people who write in; one per address per tenant (case-insensitive)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from sluice_helpdesk.errors import DuplicateContactError
from sluice_helpdesk.scope import TenantScoped, normalise_address

_COLUMNS = "contact_id, client_id, email, name, created_at"


@dataclass(frozen=True)
class Contact:
    contact_id: str
    client_id: str | None
    email: str
    name: str | None
    created_at: datetime


def _contact(row: asyncpg.Record) -> Contact:
    client = row["client_id"]
    return Contact(
        str(row["contact_id"]),
        str(client) if client else None,
        row["email"],
        row["name"],
        row["created_at"],
    )


class ContactRepository(TenantScoped):
    async def create(
        self, email: str, *, client_id: str | None, name: str | None = None
    ) -> Contact:
        try:
            row = await self.conn.fetchrow(
                f"INSERT INTO helpdesk_contacts (tenant_id, contact_id, client_id, email, name)"
                f" VALUES ($1, $2, $3, $4, $5) RETURNING {_COLUMNS}",
                self.tenant_id,
                uuid.uuid4(),
                uuid.UUID(client_id) if client_id else None,
                email.strip(),
                name,
            )
        except asyncpg.UniqueViolationError as exc:
            raise DuplicateContactError(f"a contact with email {email!r} already exists") from exc
        return _contact(row)

    async def find_by_email(self, email: str) -> Contact | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM helpdesk_contacts WHERE tenant_id = $1 AND lower(email) = $2",
            self.tenant_id,
            normalise_address(email),
        )
        return _contact(row) if row else None

    async def get(self, contact_id: str) -> Contact | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM helpdesk_contacts WHERE tenant_id = $1 AND contact_id = $2",
            self.tenant_id,
            uuid.UUID(contact_id),
        )
        return _contact(row) if row else None

    async def list(self, *, limit: int = 50) -> list[Contact]:
        rows = await self.conn.fetch(
            f"SELECT {_COLUMNS} FROM helpdesk_contacts WHERE tenant_id = $1"
            " ORDER BY created_at, contact_id LIMIT $2",
            self.tenant_id,
            limit,
        )
        return [_contact(r) for r in rows]
