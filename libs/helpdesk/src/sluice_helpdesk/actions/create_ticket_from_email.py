"""``create_ticket_from_email`` v1 (side-effectful, transactional): a ticket from a new email.

One transaction (the one that marks the invocation SUCCEEDED) creates the
ticket under the step's idempotency key (``providerId:messageId``), links the
inbound Message-ID to it (so replies thread by headers) and binds its reply
token. The client and location come already decided by the workflow (SPEC 12
rules, visible in the definition); board, status, priority, category,
subcategory and entered-by come from the provider defaults passed in.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import asyncpg
from pydantic import JsonValue
from sluice_engine import ActionCall, ActionFailedError
from sluice_mail import new_reply_token
from sluice_mail.tokens import TOKEN_BYTES

from sluice_helpdesk.actions.contract import (
    ID,
    NULLABLE_ID,
    NULLABLE_STRING,
    EmailAction,
    conn_of,
    is_uuid,
    obj,
    spec,
    text_arg,
)
from sluice_helpdesk.reply_tokens import ReplyTokenRepository
from sluice_helpdesk.threads import ThreadRepository
from sluice_helpdesk.tickets import NewTicket, Ticket, TicketRepository

NO_SUBJECT = "(no subject)"  # a ticket needs a title; an empty Subject is common in real mail
MAX_TITLE = 500


def new_ticket(args: Mapping[str, JsonValue]) -> NewTicket:
    raw_defaults = args.get("defaults")
    defaults: Mapping[str, Any] = raw_defaults if isinstance(raw_defaults, dict) else {}

    def default(key: str) -> str | None:
        value = defaults.get(key)
        return str(value) if value is not None else None

    title = " ".join((text_arg(args, "title") or NO_SUBJECT).split())[:MAX_TITLE]
    return NewTicket(
        title=title,
        description=text_arg(args, "description") or "",
        status=default("statusId"),
        priority=default("priorityId"),
        board=default("boardId"),
        category=default("categoryId"),
        subcategory=default("subcategoryId"),
        client_id=_uuid_or_fail(args, "clientId"),
        contact_id=_uuid_or_fail(args, "contactId"),
        location=text_arg(args, "locationId"),
        entered_by=default("enteredBy"),
        source=text_arg(args, "source") or "email",
    )


def _uuid_or_fail(args: Mapping[str, JsonValue], name: str) -> str | None:
    value = text_arg(args, name)
    if value is not None and not is_uuid(value):
        raise ActionFailedError(f"{name} {value!r} is not a valid id", name="INVALID_REFERENCE")
    return value


async def create(call: ActionCall, new: NewTicket) -> tuple[Ticket, bool]:
    try:
        return await TicketRepository(conn_of(call), call.tenant_id).create(
            new, idempotency_key=call.idempotency_key
        )
    except asyncpg.ForeignKeyViolationError as exc:
        # A default client (or contact) that does not exist: configuration, not chance.
        raise ActionFailedError(
            f"ticket refers to an unknown client or contact: {exc.detail or exc}",
            name="UNKNOWN_REFERENCE",
            retryable=False,
        ) from exc


async def handle(call: ActionCall) -> JsonValue:
    ticket, created = await create(call, new_ticket(call.args))
    conn = conn_of(call)
    message_id = text_arg(call.args, "messageId")
    if message_id is not None:
        await ThreadRepository(conn, call.tenant_id).link(message_id, ticket.ticket_id, "received")
    candidate = new_reply_token(secrets.token_bytes(TOKEN_BYTES))
    token = await ReplyTokenRepository(conn, call.tenant_id).token_for_ticket(
        ticket.ticket_id, candidate
    )
    return {
        "ticketId": ticket.ticket_id,
        "ticketNumber": ticket.ticket_number,
        "replyToken": token,
        "clientId": ticket.client_id,
        "created": created,
    }


ACTION = EmailAction(
    spec=spec(
        "create_ticket_from_email",
        label="Create ticket from email",
        description=(
            "Creates a ticket (title = subject, description = parsed text, client, contact, "
            "location and provider defaults), records the email's Message-ID for threading and "
            "binds the ticket's reply token. Idempotent on providerId:messageId."
        ),
        input_schema=obj(
            ["title", "messageId"],
            {
                "title": NULLABLE_STRING,
                "description": NULLABLE_STRING,
                "clientId": NULLABLE_ID,
                "contactId": NULLABLE_ID,
                "locationId": NULLABLE_STRING,
                "defaults": {"type": ["object", "null"]},
                "source": NULLABLE_STRING,
                "messageId": ID,
                "providerId": NULLABLE_STRING,
            },
        ),
        output_schema=obj(
            ["ticketId", "ticketNumber", "replyToken", "created"],
            {
                "ticketId": ID,
                "ticketNumber": {"type": "string"},
                "replyToken": {"type": "string", "x-sensitive": True},
                "clientId": NULLABLE_ID,
                "created": {"type": "boolean"},
            },
        ),
        side_effectful=True,
        icon="ticket",
    ),
    handler=handle,
    transactional=True,
)
