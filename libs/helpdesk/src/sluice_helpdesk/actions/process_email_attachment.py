"""``process_email_attachment`` v1 (side-effectful, transactional): one attachment to a ticket.

Intake stored each attachment's bytes in ``helpdesk_inbound_attachments`` and
put its id in the payload (``attachments[].id``; bytes never travel on
Kafka). This copies those bytes to the ticket, checksummed, in the
invocation's transaction; idempotent on ``(ticket, message id, attachment id)``
(the key ``ticketId:messageId:attachmentId``). An unknown id or an oversized
attachment fails permanently; the workflow's ``forEach`` continues with the
other attachments.
"""

from __future__ import annotations

from pydantic import JsonValue
from sluice_engine import ActionCall, ActionFailedError

from sluice_helpdesk.actions.contract import (
    ID,
    NULLABLE_STRING,
    EmailAction,
    conn_of,
    is_uuid,
    not_found,
    obj,
    required_text,
    spec,
    text_arg,
    ticket_arg,
)
from sluice_helpdesk.attachments import AttachmentRepository, NewAttachment
from sluice_helpdesk.errors import AttachmentTooLargeError
from sluice_helpdesk.inbound import InboundAttachment, InboundEmailRepository

ATTACHMENT_REF_SCHEMA = obj(
    ["id"],
    {
        "id": ID,
        "name": {"type": "string"},
        "contentType": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "contentId": {"type": "string"},
    },
)


async def _source(call: ActionCall, attachment_id: str) -> InboundAttachment:
    found = None
    if is_uuid(attachment_id):
        repo = InboundEmailRepository(conn_of(call), call.tenant_id)
        found = await repo.read_attachment(attachment_id)
    if found is None:
        raise not_found(
            f"inbound attachment {attachment_id!r} is not stored for this tenant",
            "ATTACHMENT_NOT_FOUND",
        )
    return found


async def handle(call: ActionCall) -> JsonValue:
    ticket_id, message_id = required_text(call, "ticketId"), required_text(call, "messageId")
    ref = call.args.get("attachment")
    attachment_id = ref.get("id") if isinstance(ref, dict) else None
    if not isinstance(attachment_id, str) or not attachment_id:
        raise ActionFailedError("attachment.id is required", name="MISSING_ARGUMENT")
    await ticket_arg(call)
    source = await _source(call, attachment_id)
    new = NewAttachment(
        ticket_id=ticket_id,
        message_id=message_id,
        source_attachment_id=attachment_id,
        name=source.name,
        content_type=source.content_type,
        data=source.data,
        content_id=source.content_id,
        comment_id=text_arg(call.args, "commentId"),
    )
    try:
        stored, created = await AttachmentRepository(conn_of(call), call.tenant_id).create(new)
    except AttachmentTooLargeError as exc:
        raise ActionFailedError(exc.message, name="ATTACHMENT_TOO_LARGE") from exc
    return {
        "attachmentId": stored.attachment_id,
        "name": stored.name,
        "size": stored.size,
        "sha256": stored.sha256,
        "created": created,
    }


ACTION = EmailAction(
    spec=spec(
        "process_email_attachment",
        label="Attach email attachment",
        description=(
            "Copies one inbound email attachment (stored at intake, referenced by id) to a "
            "ticket with its size and SHA-256; idempotent per ticket, message and attachment."
        ),
        input_schema=obj(
            ["ticketId", "messageId", "attachment"],
            {
                "ticketId": ID,
                "messageId": ID,
                "attachment": ATTACHMENT_REF_SCHEMA,
                "commentId": NULLABLE_STRING,
            },
        ),
        output_schema=obj(
            ["attachmentId", "size", "sha256", "created"],
            {
                "attachmentId": ID,
                "name": {"type": "string"},
                "size": {"type": "integer"},
                "sha256": {"type": "string"},
                "created": {"type": "boolean"},
            },
        ),
        side_effectful=True,
        icon="paperclip",
    ),
    handler=handle,
    transactional=True,
)
