"""Messaging errors: all under the one ``SluiceError`` root."""

from __future__ import annotations

from workflow_core.errors import SluiceError


class MessagingError(SluiceError):
    """Root of the messaging library's errors."""

    code = "MESSAGING_ERROR"


class EnvelopeError(MessagingError):
    """Bytes that are not a valid message; ``problems`` names each fault.

    The message is meant for a human reading the dead-letter list, so it says
    what is wrong ("tenantId: field required") rather than echoing pydantic.
    """

    code = "INVALID_MESSAGE"

    def __init__(self, message: str, *, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message, problems=list(problems))
        self.problems = problems
