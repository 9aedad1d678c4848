"""Cursor-paginated lists of the help-desk records (SPEC 13: ``{items, nextCursor?}``).

Keyset pagination (``sluice_storage.pagination``) over the list indexes of
migration 0008: tickets and outbound mail newest first; clients, contacts,
a ticket's comments and attachments oldest first; providers by id. Every
query filters by the tenant; the repositories' row mappers build the records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sluice_storage.pagination import Keyset, Page, fetch_page, where_clause

from sluice_helpdesk.attachments import _META as ATTACHMENT_COLUMNS
from sluice_helpdesk.attachments import Attachment, _attachment
from sluice_helpdesk.clients import Client, _client
from sluice_helpdesk.comments import _COLUMNS as COMMENT_COLUMNS
from sluice_helpdesk.comments import Comment, _comment
from sluice_helpdesk.contacts import _COLUMNS as CONTACT_COLUMNS
from sluice_helpdesk.contacts import Contact, _contact
from sluice_helpdesk.outbound import _COLUMNS as OUTBOUND_COLUMNS
from sluice_helpdesk.outbound import OutboundEmail, _outbound
from sluice_helpdesk.providers import _COLUMNS as PROVIDER_COLUMNS
from sluice_helpdesk.providers import EmailProvider, _provider
from sluice_helpdesk.scope import check_tenant
from sluice_helpdesk.tickets import _COLUMNS as TICKET_COLUMNS
from sluice_helpdesk.tickets import Ticket, _ticket

CLIENTS = Keyset("helpdesk-clients", "created_at", "client_id", descending=False)
CONTACTS = Keyset("helpdesk-contacts", "created_at", "contact_id", descending=False)
PROVIDERS = Keyset("helpdesk-providers", "provider_id", "provider_id", descending=False)
TICKETS = Keyset("helpdesk-tickets", "created_at", "ticket_id")
COMMENTS = Keyset("helpdesk-comments", "created_at", "comment_id", descending=False)
ATTACHMENTS = Keyset("helpdesk-attachments", "created_at", "attachment_id", descending=False)
OUTBOUND = Keyset("helpdesk-outbound", "created_at", "outbound_email_id")


async def clients_page(
    conn: asyncpg.Connection, tenant_id: str, *, cursor: str | None, limit: int | None
) -> Page[Client]:
    sql = "SELECT client_id, name, created_at FROM helpdesk_clients WHERE tenant_id = $1"
    return await fetch_page(
        conn, CLIENTS, sql, [check_tenant(tenant_id)], cursor=cursor, limit=limit,
        to_item=_client,
    )  # fmt: skip


async def contacts_page(
    conn: asyncpg.Connection,
    tenant_id: str,
    *,
    client_id: str | None = None,
    cursor: str | None,
    limit: int | None,
) -> Page[Contact]:
    sql = (
        f"SELECT {CONTACT_COLUMNS} FROM helpdesk_contacts WHERE tenant_id = $1"
        " AND ($2::uuid IS NULL OR client_id = $2)"
    )
    params = [check_tenant(tenant_id), _uuid(client_id)]
    return await fetch_page(
        conn, CONTACTS, sql, params, cursor=cursor, limit=limit, to_item=_contact
    )


async def providers_page(
    conn: asyncpg.Connection, tenant_id: str, *, cursor: str | None, limit: int | None
) -> Page[EmailProvider]:
    sql = f"SELECT {PROVIDER_COLUMNS} FROM helpdesk_email_providers WHERE tenant_id = $1"
    return await fetch_page(
        conn, PROVIDERS, sql, [check_tenant(tenant_id)], cursor=cursor, limit=limit,
        to_item=_provider,
    )  # fmt: skip


async def tickets_page(
    conn: asyncpg.Connection,
    tenant_id: str,
    *,
    status: str | None = None,
    client_id: str | None = None,
    contact_id: str | None = None,
    cursor: str | None,
    limit: int | None,
) -> Page[Ticket]:
    """Newest first, filtered by status, client and contact when given."""
    sql = (
        f"SELECT {TICKET_COLUMNS} FROM helpdesk_tickets WHERE tenant_id = $1"
        " AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR client_id = $3)"
        " AND ($4::uuid IS NULL OR contact_id = $4)"
    )
    params = [check_tenant(tenant_id), status, _uuid(client_id), _uuid(contact_id)]
    return await fetch_page(conn, TICKETS, sql, params, cursor=cursor, limit=limit, to_item=_ticket)


async def comments_page(
    conn: asyncpg.Connection,
    tenant_id: str,
    ticket_id: str,
    *,
    cursor: str | None,
    limit: int | None,
) -> Page[Comment]:
    """Oldest first (SPEC 13)."""
    sql = f"SELECT {COMMENT_COLUMNS} FROM helpdesk_comments WHERE tenant_id = $1 AND ticket_id = $2"
    params = [check_tenant(tenant_id), uuid.UUID(ticket_id)]
    return await fetch_page(
        conn, COMMENTS, sql, params, cursor=cursor, limit=limit, to_item=_comment
    )


async def attachments_page(
    conn: asyncpg.Connection,
    tenant_id: str,
    ticket_id: str,
    *,
    cursor: str | None,
    limit: int | None,
) -> Page[Attachment]:
    sql = (
        f"SELECT {ATTACHMENT_COLUMNS} FROM helpdesk_attachments WHERE tenant_id = $1"
        " AND ticket_id = $2"
    )
    params = [check_tenant(tenant_id), uuid.UUID(ticket_id)]
    return await fetch_page(
        conn, ATTACHMENTS, sql, params, cursor=cursor, limit=limit, to_item=_attachment
    )


async def outbound_page(
    conn: asyncpg.Connection,
    tenant_id: str,
    *,
    status: str | None = None,
    ticket_id: uuid.UUID | None = None,
    cursor: str | None,
    limit: int | None,
) -> Page[OutboundEmail]:
    """Newest first, optionally one status (pending, sent, failed, suppressed) and one
    ticket's mail only."""
    sql, params = where_clause(check_tenant(tenant_id), [
        ("status = ${}", status), ("ticket_id = ${}", ticket_id),
    ])  # fmt: skip
    sql = f"SELECT {OUTBOUND_COLUMNS} FROM helpdesk_outbound_emails WHERE {sql}"
    return await fetch_page(
        conn, OUTBOUND, sql, params, cursor=cursor, limit=limit, to_item=_outbound
    )


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


async def attachment_content(
    conn: asyncpg.Connection, tenant_id: str, ticket_id: str, attachment_id: str
) -> tuple[Attachment, bytes] | None:
    """One attachment of one ticket with its bytes (None when either is not this tenant's)."""
    row = await conn.fetchrow(
        f"SELECT {ATTACHMENT_COLUMNS}, data FROM helpdesk_attachments WHERE tenant_id = $1"
        " AND ticket_id = $2 AND attachment_id = $3",
        check_tenant(tenant_id),
        uuid.UUID(ticket_id),
        uuid.UUID(attachment_id),
    )
    if row is None:
        return None
    values = dict(row)
    data = bytes(values.pop("data"))
    return _attachment(values), data  # the mapper only reads keys: a dict will do


@dataclass(frozen=True)
class TicketRun:
    """A run whose action named the ticket in its output (created, commented, found it)."""

    run_id: uuid.UUID
    action_id: str
    step_id: str | None
    status: str
    at: datetime


async def ticket_runs(
    conn: asyncpg.Connection, tenant_id: str, ticket_id: uuid.UUID, *, limit: int = 100
) -> list[TicketRun]:
    """The runs that touched ``ticket_id``, newest first: every help-desk action that
    creates, changes or finds a ticket answers with its ``ticketId`` (migration 0014
    indexes that field of the invocations' output)."""
    rows = await conn.fetch(
        """SELECT run_id, action_id, step_id, status, started_at AS at
           FROM action_invocations
           WHERE tenant_id = $1 AND output ? 'ticketId' AND output->>'ticketId' = $2
           ORDER BY started_at DESC, invocation_id DESC LIMIT $3""",
        check_tenant(tenant_id), str(ticket_id), limit,
    )  # fmt: skip
    return [TicketRun(**dict(r)) for r in rows]
