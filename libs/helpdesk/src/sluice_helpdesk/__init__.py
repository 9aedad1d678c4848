"""Sluice help-desk domain in PostgreSQL (asyncpg), tenant-scoped repositories.

Every repository is built for one tenant (``TicketRepository(conn, tenant_id)``)
and filters every query by it. ``route_mailbox`` is the one cross-tenant
lookup (recipient address -> tenant, provider). Creates that SPEC 12 keys
(tickets, comments, attachments, acknowledgements) are idempotent and return
``(record, created)``; ``sluice_helpdesk.keys`` builds the keys.
Schema: ``sluice_storage/migrations/sql/0008_helpdesk.sql``.
"""

from sluice_helpdesk.attachments import (
    DEFAULT_MAX_ATTACHMENT_BYTES,
    Attachment,
    AttachmentRepository,
    NewAttachment,
)
from sluice_helpdesk.clients import Client, ClientRepository
from sluice_helpdesk.comments import Comment, CommentRepository, NewComment
from sluice_helpdesk.contacts import Contact, ContactRepository
from sluice_helpdesk.errors import (
    AttachmentTooLargeError,
    DuplicateContactError,
    HelpdeskError,
    MailboxTakenError,
)
from sluice_helpdesk.inbound import InboundAttachment, InboundEmail, InboundEmailRepository
from sluice_helpdesk.outbound import NewOutboundEmail, OutboundEmail, OutboundEmailRepository
from sluice_helpdesk.providers import (
    DEFAULT_KEYS,
    EmailProvider,
    MailboxRoute,
    ProviderRepository,
    route_mailbox,
)
from sluice_helpdesk.reply_tokens import ReplyTokenRepository
from sluice_helpdesk.threads import ThreadRepository
from sluice_helpdesk.tickets import NewTicket, Ticket, TicketRepository, format_ticket_number

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_MAX_ATTACHMENT_BYTES",
    "Attachment",
    "AttachmentRepository",
    "AttachmentTooLargeError",
    "Client",
    "ClientRepository",
    "Comment",
    "CommentRepository",
    "Contact",
    "ContactRepository",
    "DuplicateContactError",
    "EmailProvider",
    "HelpdeskError",
    "InboundAttachment",
    "InboundEmail",
    "InboundEmailRepository",
    "MailboxRoute",
    "MailboxTakenError",
    "NewAttachment",
    "NewComment",
    "NewOutboundEmail",
    "NewTicket",
    "OutboundEmail",
    "OutboundEmailRepository",
    "ProviderRepository",
    "ReplyTokenRepository",
    "ThreadRepository",
    "Ticket",
    "TicketRepository",
    "format_ticket_number",
    "route_mailbox",
]
