"""Tickets with tenant-unique human numbers (``TIC-000123``) and idempotent creation.

Numbers come from a per-tenant counter row incremented in the same
transaction as the insert: concurrent creates serialise on that row, so
numbers are unique and, because a create that loses an idempotency race is
rolled back to a savepoint (counter included), gap-free.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from sluice_helpdesk.errors import HelpdeskError
from sluice_helpdesk.scope import TenantScoped

NUMBER_PREFIX = "TIC-"
NUMBER_DIGITS = 6  # TIC-000123; wider numbers simply grow (TIC-1234567)
_COLUMNS = (
    "ticket_id, ticket_number, title, description, status, priority, board, category,"
    " subcategory, client_id, contact_id, location, entered_by, source, idempotency_key,"
    " created_at"
)


@dataclass(frozen=True)
class NewTicket:
    title: str
    description: str = ""
    status: str | None = None
    priority: str | None = None
    board: str | None = None
    category: str | None = None
    subcategory: str | None = None
    client_id: str | None = None
    contact_id: str | None = None
    location: str | None = None
    entered_by: str | None = None
    source: str = "email"


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    ticket_number: str
    title: str
    description: str
    status: str | None
    priority: str | None
    board: str | None
    category: str | None
    subcategory: str | None
    client_id: str | None
    contact_id: str | None
    location: str | None
    entered_by: str | None
    source: str
    idempotency_key: str | None
    created_at: datetime


def format_ticket_number(number: int) -> str:
    return f"{NUMBER_PREFIX}{number:0{NUMBER_DIGITS}d}"


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _ticket(row: asyncpg.Record) -> Ticket:
    values = dict(row)
    for name in ("ticket_id", "client_id", "contact_id"):
        values[name] = str(values[name]) if values[name] else None
    return Ticket(**values)


class _LostRaceError(Exception):
    """Another transaction created the ticket under the same key first."""


class TicketRepository(TenantScoped):
    async def create(
        self, new: NewTicket, *, idempotency_key: str | None = None
    ) -> tuple[Ticket, bool]:
        """``(ticket, created)``; with a key already used, the existing ticket and False."""
        if idempotency_key is not None:
            existing = await self.find_by_key(idempotency_key)
            if existing is not None:
                return existing, False
        try:
            async with self.conn.transaction():
                row = await self._insert(new, idempotency_key)
                if row is None:
                    raise _LostRaceError
        except _LostRaceError:
            winner = await self.find_by_key(idempotency_key or "")
            if winner is None:  # impossible: the conflicting row committed before DO NOTHING
                raise HelpdeskError(f"ticket for key {idempotency_key!r} vanished") from None
            return winner, False
        return _ticket(row), True

    async def _insert(self, new: NewTicket, key: str | None) -> asyncpg.Record | None:
        number = await self.conn.fetchval(
            "INSERT INTO helpdesk_ticket_counters (tenant_id, last_number) VALUES ($1, 1)"
            " ON CONFLICT (tenant_id) DO UPDATE"
            " SET last_number = helpdesk_ticket_counters.last_number + 1 RETURNING last_number",
            self.tenant_id,
        )
        return await self.conn.fetchrow(
            f"INSERT INTO helpdesk_tickets (tenant_id, ticket_id, ticket_number, title,"
            f" description, status, priority, board, category, subcategory, client_id,"
            f" contact_id, location, entered_by, source, idempotency_key)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
            f" ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING {_COLUMNS}",
            self.tenant_id, uuid.uuid4(), format_ticket_number(number), new.title,
            new.description, new.status, new.priority, new.board, new.category,
            new.subcategory, _uuid(new.client_id), _uuid(new.contact_id), new.location,
            new.entered_by, new.source, key,
        )  # fmt: skip

    async def get(self, ticket_id: str) -> Ticket | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM helpdesk_tickets WHERE tenant_id = $1 AND ticket_id = $2",
            self.tenant_id,
            uuid.UUID(ticket_id),
        )
        return _ticket(row) if row else None

    async def find_by_key(self, idempotency_key: str) -> Ticket | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM helpdesk_tickets"
            " WHERE tenant_id = $1 AND idempotency_key = $2",
            self.tenant_id,
            idempotency_key,
        )
        return _ticket(row) if row else None

    async def find_by_number(self, ticket_number: str) -> Ticket | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM helpdesk_tickets WHERE tenant_id = $1 AND ticket_number = $2",
            self.tenant_id,
            ticket_number,
        )
        return _ticket(row) if row else None

    async def list(
        self,
        *,
        status: str | None = None,
        client_id: str | None = None,
        contact_id: str | None = None,
        limit: int = 50,
    ) -> list[Ticket]:
        """Newest first, filtered by status, client and contact when given."""
        rows = await self.conn.fetch(
            f"SELECT {_COLUMNS} FROM helpdesk_tickets WHERE tenant_id = $1"
            " AND ($2::text IS NULL OR status = $2)"
            " AND ($3::uuid IS NULL OR client_id = $3)"
            " AND ($4::uuid IS NULL OR contact_id = $4)"
            " ORDER BY created_at DESC, ticket_id DESC LIMIT $5",
            self.tenant_id,
            status,
            _uuid(client_id),
            _uuid(contact_id),
            limit,
        )
        return [_ticket(r) for r in rows]
