"""``send_ticket_acknowledgement_email`` v1 (side-effectful, transactional): the ack, recorded.

Mail leaves the database only through the outbound outbox: this writes one
row (idempotent on the step's key ``ticketId:ack``) with a Message-ID fixed
now and linked to the ticket, so the customer's reply threads back by headers
as well as by the reply token in the body. The SMTP sender
(``sluice_helpdesk.sender``) delivers it. Loop safety: never for
auto-submitted mail, ``Auto-Submitted: auto-replied`` on every ack, and at
most ``ACKS_PER_ADDRESS_PER_HOUR`` per recipient (more are kept as
``suppressed``, never sent).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from pydantic import JsonValue
from sluice_config.clock import utc_now
from sluice_engine import ActionCall
from sluice_mail import format_reply_token, new_reply_token
from sluice_mail.tokens import TOKEN_BYTES

from sluice_helpdesk.actions.contract import (
    ID,
    NULLABLE_STRING,
    EmailAction,
    conn_of,
    obj,
    required_text,
    spec,
    text_arg,
    ticket_arg,
)
from sluice_helpdesk.outbound import NewOutboundEmail, OutboundEmailRepository
from sluice_helpdesk.providers import ProviderRepository
from sluice_helpdesk.reply_tokens import ReplyTokenRepository
from sluice_helpdesk.threads import ThreadRepository
from sluice_helpdesk.tickets import Ticket

# 5 an hour: a person writing five new tickets in an hour still hears back on
# each; an auto-responder we failed to recognise stops getting answers after 5.
ACKS_PER_ADDRESS_PER_HOUR = 5
RATE_WINDOW = timedelta(hours=1)
FALLBACK_SENDER = "support@sluice.local"
_MESSAGE_NAMESPACE = uuid.UUID("0b7d3c1e-52a4-4c55-8f1e-2f6a9d4e8c21")


def message_id_for(tenant_id: str, key: str, sender: str) -> str:
    """Stable per (tenant, key): a re-run of the step never mints a second Message-ID."""
    domain = sender.rpartition("@")[2] or "sluice.local"
    name = uuid.uuid5(_MESSAGE_NAMESPACE, f"{tenant_id}\x00{key}")
    return f"ack-{name.hex}@{domain}"


def compose(ticket: Ticket, token: str, original_subject: str | None) -> tuple[str, str]:
    """(subject, text body) of the acknowledgement."""
    subject = f"[{ticket.ticket_number}] Re: {original_subject or ticket.title}"
    body = (
        "Hello,\n\n"
        f"we have received your message and opened ticket {ticket.ticket_number}:\n"
        f"  {ticket.title}\n\n"
        "Reply to this email to add to the ticket; please keep the reference below.\n\n"
        f"Reference: {format_reply_token(token)}\n\n"
        "-- \nThis is an automatic reply.\n"
    )
    return subject, body


async def _sender(call: ActionCall) -> str:
    provider_id = text_arg(call.args, "providerId")
    if provider_id is None:
        return FALLBACK_SENDER
    provider = await ProviderRepository(conn_of(call), call.tenant_id).get(provider_id)
    return provider.inbound_address if provider is not None else FALLBACK_SENDER


async def outbound_for(call: ActionCall, ticket: Ticket, to: str) -> NewOutboundEmail:
    conn = conn_of(call)
    candidate = new_reply_token(secrets.token_bytes(TOKEN_BYTES))
    token = await ReplyTokenRepository(conn, call.tenant_id).token_for_ticket(
        ticket.ticket_id, candidate
    )
    sender = await _sender(call)
    subject, body = compose(ticket, token, text_arg(call.args, "subject"))
    headers = {
        "From": sender,
        "Auto-Submitted": "auto-replied",
        "X-Sluice-Ticket": ticket.ticket_number,
    }
    in_reply_to = text_arg(call.args, "inReplyTo")
    if in_reply_to is not None:
        headers["In-Reply-To"] = f"<{in_reply_to.strip('<> ')}>"
        headers["References"] = headers["In-Reply-To"]
    recent = await OutboundEmailRepository(conn, call.tenant_id).recent_count(
        to, utc_now() - RATE_WINDOW
    )
    return NewOutboundEmail(
        to_address=to,
        subject=subject,
        body_text=body,
        message_id=message_id_for(call.tenant_id, call.idempotency_key, sender),
        headers=headers,
        ticket_id=ticket.ticket_id,
        suppressed=recent >= ACKS_PER_ADDRESS_PER_HOUR,
    )


async def handle(call: ActionCall) -> JsonValue:
    if call.args.get("autoSubmitted") is True:  # belt and braces: the workflow checks it too
        return {"status": "skipped", "outboundEmailId": None, "messageId": None, "created": False}
    ticket = await ticket_arg(call)
    new = await outbound_for(call, ticket, required_text(call, "to"))
    repo = OutboundEmailRepository(conn_of(call), call.tenant_id)
    row, created = await repo.enqueue(new, idempotency_key=call.idempotency_key)
    await ThreadRepository(conn_of(call), call.tenant_id).link(
        row.message_id, ticket.ticket_id, "sent"
    )
    return {
        "status": row.status,
        "outboundEmailId": row.outbound_email_id,
        "messageId": row.message_id,
        "created": created,
    }


ACTION = EmailAction(
    spec=spec(
        "send_ticket_acknowledgement_email",
        label="Send ticket acknowledgement",
        description=(
            "Queues an acknowledgement to the sender with the ticket number and its reply token "
            "(Auto-Submitted: auto-replied, stable Message-ID recorded on the ticket), "
            "rate-limited per address and never for auto-submitted mail."
        ),
        input_schema=obj(
            ["ticketId", "to"],
            {
                "ticketId": ID,
                "to": {"type": "string", "minLength": 3},
                "providerId": NULLABLE_STRING,
                "subject": NULLABLE_STRING,
                "inReplyTo": NULLABLE_STRING,
                "autoSubmitted": {"type": ["boolean", "null"]},
            },
        ),
        output_schema=obj(
            ["status"],
            {
                "status": {"enum": ["pending", "sent", "failed", "suppressed", "skipped"]},
                "outboundEmailId": {"type": ["string", "null"]},
                "messageId": {"type": ["string", "null"]},
                "created": {"type": "boolean"},
            },
        ),
        side_effectful=True,
        icon="send",
    ),
    handler=handle,
    transactional=True,
)
