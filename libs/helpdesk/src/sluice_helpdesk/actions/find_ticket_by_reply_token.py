"""``find_ticket_by_reply_token`` v1 (read-only): the ticket a reply token is bound to."""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue
from sluice_engine import ActionCall

from sluice_helpdesk.actions.contract import (
    NULLABLE_ID,
    NULLABLE_STRING,
    EmailAction,
    conn_of,
    obj,
    spec,
    text_arg,
)
from sluice_helpdesk.reply_tokens import ReplyTokenRepository
from sluice_helpdesk.tickets import TicketRepository

TICKET_MATCH_SCHEMA: dict[str, Any] = obj(
    ["found", "ticketId"],
    {"found": {"type": "boolean"}, "ticketId": NULLABLE_ID, "ticketNumber": NULLABLE_STRING},
)


async def ticket_match(call: ActionCall, ticket_id: str | None) -> JsonValue:
    """``{found, ticketId, ticketNumber}`` for a ticket id found (or not) in this tenant."""
    ticket = None
    if ticket_id is not None:
        ticket = await TicketRepository(conn_of(call), call.tenant_id).get(ticket_id)
    if ticket is None:
        return {"found": False, "ticketId": None, "ticketNumber": None}
    return {"found": True, "ticketId": ticket.ticket_id, "ticketNumber": ticket.ticket_number}


async def handle(call: ActionCall) -> JsonValue:
    token = text_arg(call.args, "token")
    ticket_id = None
    if token is not None:
        ticket_id = await ReplyTokenRepository(conn_of(call), call.tenant_id).find_ticket(token)
    return await ticket_match(call, ticket_id)


ACTION = EmailAction(
    spec=spec(
        "find_ticket_by_reply_token",
        label="Find ticket by reply token",
        description=(
            "Looks up the ticket bound to a reply token ([SLU-...]) quoted in a customer's "
            "reply; found is false when the token is unknown in this tenant."
        ),
        input_schema=obj(["token"], {"token": NULLABLE_STRING}),
        output_schema=TICKET_MATCH_SCHEMA,
        side_effectful=False,
        icon="search",
        examples=[{"token": {"$expr": "vars.parsedEmail.metadata.tokens.conversationToken"}}],
    ),
    handler=handle,
    transactional=True,
)
