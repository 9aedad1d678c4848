"""Help-desk errors, under the one ``SluiceError`` root."""

from __future__ import annotations

from workflow_core.errors import SluiceError


class HelpdeskError(SluiceError):
    code = "HELPDESK_ERROR"


class AttachmentTooLargeError(HelpdeskError):
    code = "ATTACHMENT_TOO_LARGE"


class MailboxTakenError(HelpdeskError):
    """The inbound address already routes to another tenant or provider."""

    code = "MAILBOX_TAKEN"


class DuplicateContactError(HelpdeskError):
    code = "DUPLICATE_CONTACT"
