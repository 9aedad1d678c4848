"""``create_comment_from_email`` v1 (side-effectful, transactional): a comment from an email.

Author rules (SPEC 12): ``authorType: contact`` is verified here, never taken
from the args: the comment is authored by the sender's contact when that
contact belongs to the ticket's client (or is the ticket's contact); otherwise
the sender's address is recorded and the comment is flagged
``unverifiedSender``. ``internal`` comments (the initial comment of a new
ticket) carry no author contact. Content is the parsed HTML when present,
else the text. Idempotent on the step's key (``messageId:ticketId``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import JsonValue
from sluice_engine import ActionCall

from sluice_helpdesk.actions.contract import (
    ID,
    NULLABLE_STRING,
    EmailAction,
    conn_of,
    obj,
    spec,
    text_arg,
    ticket_arg,
)
from sluice_helpdesk.actions.convert_html_to_blocks import BLOCKS_SCHEMA, render_blocks
from sluice_helpdesk.comments import AuthorType, CommentFormat, CommentRepository, NewComment
from sluice_helpdesk.contacts import ContactRepository
from sluice_helpdesk.threads import ThreadRepository
from sluice_helpdesk.tickets import Ticket


async def _author(call: ActionCall, ticket: Ticket) -> tuple[str | None, str | None, bool]:
    """``(contact id, address, unverified)`` of a contact-authored comment."""
    address = text_arg(call.args, "senderEmail")
    if address is None:
        return None, None, True
    contact = await ContactRepository(conn_of(call), call.tenant_id).find_by_email(address)
    if contact is None:
        return None, address, True
    same_client = ticket.client_id is not None and contact.client_id == ticket.client_id
    if same_client or contact.contact_id == ticket.contact_id:
        return contact.contact_id, address, False
    return None, address, True


def _content(args: Mapping[str, JsonValue]) -> tuple[CommentFormat, str]:
    html, text = text_arg(args, "html"), text_arg(args, "text")
    if html is not None:
        return "html", html
    return "text", text or ""


async def new_comment(call: ActionCall, ticket: Ticket) -> NewComment:
    author_type: AuthorType = "contact" if call.args.get("authorType") == "contact" else "internal"
    contact_id, address, unverified = None, text_arg(call.args, "senderEmail"), False
    if author_type == "contact":
        contact_id, address, unverified = await _author(call, ticket)
    fmt, content = _content(call.args)
    given = call.args.get("blocks")
    blocks: list[dict[str, Any]] = (
        [b for b in given if isinstance(b, dict)]
        if isinstance(given, list)
        else render_blocks(text_arg(call.args, "html"), text_arg(call.args, "text"))
    )
    return NewComment(
        ticket_id=ticket.ticket_id,
        author_type=author_type,
        format=fmt,
        content=content,
        blocks=blocks,
        author_contact_id=contact_id,
        author_address=address,
        unverified_sender=unverified,
        source_message_id=text_arg(call.args, "messageId"),
    )


async def handle(call: ActionCall) -> JsonValue:
    ticket = await ticket_arg(call)
    new = await new_comment(call, ticket)
    comment, created = await CommentRepository(conn_of(call), call.tenant_id).create(
        new, idempotency_key=call.idempotency_key
    )
    if new.source_message_id is not None:  # later replies may thread on this one
        await ThreadRepository(conn_of(call), call.tenant_id).link(
            new.source_message_id, ticket.ticket_id, "received"
        )
    return {
        "commentId": comment.comment_id,
        "ticketId": comment.ticket_id,
        "authorType": comment.author_type,
        "authorContactId": comment.author_contact_id,
        "unverifiedSender": comment.unverified_sender,
        "created": created,
    }


ACTION = EmailAction(
    spec=spec(
        "create_comment_from_email",
        label="Create comment from email",
        description=(
            "Adds a comment to a ticket from an email (HTML if present, else text). A contact "
            "comment is authored by the sender's contact when it belongs to the ticket's client, "
            "else the address is kept and the comment flagged unverifiedSender."
        ),
        input_schema=obj(
            ["ticketId", "authorType"],
            {
                "ticketId": ID,
                "authorType": {"enum": ["contact", "internal"]},
                "senderEmail": NULLABLE_STRING,
                "html": NULLABLE_STRING,
                "text": NULLABLE_STRING,
                "blocks": {"anyOf": [BLOCKS_SCHEMA, {"type": "null"}]},
                "messageId": NULLABLE_STRING,
            },
        ),
        output_schema=obj(
            ["commentId", "ticketId", "unverifiedSender", "created"],
            {
                "commentId": ID,
                "ticketId": ID,
                "authorType": {"type": "string"},
                "authorContactId": {"type": ["string", "null"]},
                "unverifiedSender": {"type": "boolean"},
                "created": {"type": "boolean"},
            },
        ),
        side_effectful=True,
        icon="message-square",
    ),
    handler=handle,
    transactional=True,
)
