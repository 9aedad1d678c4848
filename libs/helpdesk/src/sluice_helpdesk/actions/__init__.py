"""The eleven email actions of SPEC section 12, one module each (all version 1).

Pure: ``parse_email_reply``, ``convert_html_to_blocks``. Read-only (run in the
invocation's transaction, no effects): ``find_ticket_by_reply_token``,
``find_ticket_by_email_thread``, ``find_contact_by_email``,
``resolve_inbound_ticket_defaults``. Side-effectful and transactional (their
effect commits with the invocation's SUCCEEDED record):
``create_ticket_from_email``, ``create_comment_from_email``,
``process_email_attachment``, ``create_human_task_for_email_processing_failure``,
``send_ticket_acknowledgement_email`` (an outbound row; the sender delivers it).
"""

from sluice_helpdesk.actions import (
    convert_html_to_blocks,
    create_comment_from_email,
    create_human_task_for_email_processing_failure,
    create_ticket_from_email,
    find_contact_by_email,
    find_ticket_by_email_thread,
    find_ticket_by_reply_token,
    parse_email_reply,
    process_email_attachment,
    resolve_inbound_ticket_defaults,
    send_ticket_acknowledgement_email,
)
from sluice_helpdesk.actions.contract import EmailAction

EMAIL_ACTIONS: tuple[EmailAction, ...] = (
    parse_email_reply.ACTION,
    find_ticket_by_reply_token.ACTION,
    find_ticket_by_email_thread.ACTION,
    convert_html_to_blocks.ACTION,
    create_comment_from_email.ACTION,
    process_email_attachment.ACTION,
    find_contact_by_email.ACTION,
    resolve_inbound_ticket_defaults.ACTION,
    create_ticket_from_email.ACTION,
    create_human_task_for_email_processing_failure.ACTION,
    send_ticket_acknowledgement_email.ACTION,
)

__all__ = ["EMAIL_ACTIONS", "EmailAction"]
