"""Intake refusals, under the one ``SluiceError`` root.

Only these refuse a message (SPEC 13 "Ingest"); everything else that parses
as RFC 822 is answered ``202`` (accepted, duplicate or stored as failed).
Each carries the HTTP status and the SMTP reply it maps to.
"""

from __future__ import annotations

from workflow_core.errors import SluiceError


class IntakeError(SluiceError):
    code = "INTAKE_ERROR"
    http_status = 400
    smtp_reply = "554 5.0.0"


class UnknownMailboxError(IntakeError):
    """No email provider has this inbound address."""

    code = "UNKNOWN_MAILBOX"
    http_status = 404
    smtp_reply = "550 5.1.1"


class UnknownProviderError(IntakeError):
    """The JSON payload names a provider the token's tenant does not have."""

    code = "UNKNOWN_PROVIDER"
    http_status = 404
    smtp_reply = "550 5.1.1"


class EmailTooLargeError(IntakeError):
    code = "EMAIL_TOO_LARGE"
    http_status = 413
    smtp_reply = "552 5.3.4"


class NotRfc822Error(IntakeError):
    """The body has no header section at all: it is not an email."""

    code = "NOT_RFC822"
    http_status = 400
    smtp_reply = "554 5.6.0"


class InvalidEmailPayloadError(IntakeError):
    """The JSON form does not match ``payload.EmailWorkflowPayload.v1``."""

    code = "INVALID_PAYLOAD"
    http_status = 422
    smtp_reply = "554 5.6.0"

    def __init__(self, message: str, problems: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.problems = problems  # (JSON pointer, message)
