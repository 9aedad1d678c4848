"""The parser's result types: a parsed email, its attachments, or a failure with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Address:
    """One mailbox: the address as written (compare with ``.key``) and the display name."""

    email: str
    name: str | None = None

    @property
    def key(self) -> str:
        """Addresses compare case-insensitively (SPEC 12)."""
        return self.email.strip().lower()


@dataclass(frozen=True)
class ParsedAttachment:
    """A non-body part, bytes kept for storage.

    ``part_id`` is the part's position in the MIME tree (``"2.1"``: second child of
    the root, then its first child), stable for the same raw message, so it can key
    idempotent storage (``ticketId:messageId:attachmentId``).
    """

    part_id: str
    filename: str
    content_type: str
    data: bytes
    sha256: str
    content_id: str | None = None
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    synthetic_message_id: bool
    from_address: Address
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    subject: str = ""
    text: str | None = None
    html: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    thread_id: str | None = None
    received_at: datetime | None = None
    auto_submitted: bool = False
    attachments: tuple[ParsedAttachment, ...] = ()
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ParseFailure:
    """A message that cannot become a workflow payload; ``reason`` says why, for people."""

    reason: str
    message_id: str | None = None
