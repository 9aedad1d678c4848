"""Help-desk resources on the wire (SPEC 13 "Help-desk resources"), camelCase."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field
from sluice_helpdesk import (
    Attachment,
    Client,
    Comment,
    Contact,
    EmailProvider,
    OutboundEmail,
    Ticket,
)

from sluice_api.schemas.common import WireModel

PROVIDER_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"


class ClientCreate(WireModel):
    name: str = Field(min_length=1, max_length=500)


class ClientPublic(WireModel):
    client_id: uuid.UUID
    name: str
    created_at: datetime


class ContactCreate(WireModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    client_id: uuid.UUID | None = None
    name: str | None = Field(default=None, max_length=500)


class ContactPublic(WireModel):
    contact_id: uuid.UUID
    client_id: uuid.UUID | None = None
    email: str
    name: str | None = None
    created_at: datetime


class TicketDefaults(WireModel):
    """Inbound defaults of a provider: what a ticket from its mailbox starts with."""

    model_config = ConfigDict(extra="forbid")

    board_id: str | None = None
    status_id: str | None = None
    priority_id: str | None = None
    client_id: str | None = None
    entered_by: str | None = None
    category_id: str | None = None
    subcategory_id: str | None = None
    location_id: str | None = None


class ProviderUpdate(WireModel):
    inbound_address: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    defaults: TicketDefaults | None = None


class ProviderPublic(WireModel):
    provider_id: str
    inbound_address: str
    defaults: dict[str, Any] | None = None


class TicketPublic(WireModel):
    ticket_id: uuid.UUID
    ticket_number: str
    title: str
    description: str
    status: str | None = None
    priority: str | None = None
    board: str | None = None
    client_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    location: str | None = None
    source: str
    created_at: datetime


class CommentPublic(WireModel):
    comment_id: uuid.UUID
    ticket_id: uuid.UUID
    author_type: str
    author_contact_id: uuid.UUID | None = None
    author_address: str | None = None
    format: str
    content: str
    blocks: list[dict[str, Any]]
    unverified_sender: bool
    created_at: datetime


class AttachmentPublic(WireModel):
    attachment_id: uuid.UUID
    ticket_id: uuid.UUID
    comment_id: uuid.UUID | None = None
    name: str
    content_type: str
    size: int
    sha256: str
    content_id: str | None = None
    created_at: datetime


class TicketRunPublic(WireModel):
    run_id: uuid.UUID
    action_id: str
    step_id: str | None = None
    status: str = Field(description="the invocation's status")
    at: datetime


class OutboundEmailPublic(WireModel):
    outbound_email_id: uuid.UUID
    ticket_id: uuid.UUID | None = None
    to_address: str
    subject: str
    message_id: str
    status: str
    attempts: int
    last_error: str | None = None
    sent_at: datetime | None = None
    created_at: datetime


def client_public(c: Client) -> ClientPublic:
    return ClientPublic.model_validate(c, from_attributes=True)


def contact_public(c: Contact) -> ContactPublic:
    return ContactPublic.model_validate(c, from_attributes=True)


def provider_public(p: EmailProvider) -> ProviderPublic:
    return ProviderPublic.model_validate(p, from_attributes=True)


def ticket_public(t: Ticket) -> TicketPublic:
    return TicketPublic.model_validate(t, from_attributes=True)


def comment_public(c: Comment) -> CommentPublic:
    return CommentPublic.model_validate(c, from_attributes=True)


def attachment_public(a: Attachment) -> AttachmentPublic:
    return AttachmentPublic.model_validate(a, from_attributes=True)


def outbound_public(o: OutboundEmail) -> OutboundEmailPublic:
    return OutboundEmailPublic.model_validate(o, from_attributes=True)
