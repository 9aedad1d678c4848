"""What intake does with one raw message (pure: no I/O, no clock).

Refusals (raised): over the size limit (``EmailTooLargeError``), or no header
section at all, i.e. not RFC 822 (``NotRfc822Error``). Everything else is a
``Verdict``: ``accepted`` with the parsed email, or ``failed`` with a reason
(stored so that nothing received is lost, and never sent to the workflow).
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from typing import Literal

from sluice_helpdesk import DEFAULT_MAX_ATTACHMENT_BYTES
from sluice_mail import ParsedEmail, ParseFailure, parse_message, synthetic_message_id

from sluice_ingest.errors import EmailTooLargeError, NotRfc822Error

_HEADERS = BytesHeaderParser(policy=policy.compat32)
# Enough of the start to find the header section; headers beyond 256 KiB are abuse.
_HEADER_PROBE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Verdict:
    status: Literal["accepted", "failed"]
    message_id: str
    reason: str | None = None
    parsed: ParsedEmail | None = None
    subject: str | None = None
    from_address: str | None = None


def check_rfc822(raw: bytes, max_bytes: int) -> None:
    """Raise for the refusals of SPEC 13: too large, or not an email at all."""
    if len(raw) > max_bytes:
        raise EmailTooLargeError(f"the message is {len(raw)} bytes, over the limit of {max_bytes}")
    if not raw.strip():
        raise NotRfc822Error("the message is empty")
    try:
        headers = _HEADERS.parsebytes(raw[:_HEADER_PROBE_BYTES])
    except Exception as exc:  # compat32 is lenient; anything it rejects is not mail
        raise NotRfc822Error(f"no readable header section: {type(exc).__name__}") from exc
    if not list(headers.keys()):
        raise NotRfc822Error(
            "not an RFC 822 message: it does not start with a header section ('Name: value')"
        )


def classify(raw: bytes, max_bytes: int) -> Verdict:
    """Refuse (raises) or decide accepted/failed for a message intake will store."""
    check_rfc822(raw, max_bytes)
    result = parse_message(raw, max_bytes=max_bytes)
    if isinstance(result, ParseFailure):
        return Verdict("failed", result.message_id or synthetic_message_id(raw), result.reason)
    too_big = _oversized_attachment(result)
    return Verdict(
        "failed" if too_big else "accepted",
        result.message_id,
        reason=too_big,
        parsed=None if too_big else result,
        subject=result.subject,
        from_address=result.from_address.email,
    )


def _oversized_attachment(parsed: ParsedEmail) -> str | None:
    """Only when WF_MAX_EMAIL_BYTES is raised above the storage cap can this trigger."""
    for attachment in parsed.attachments:
        if attachment.size > DEFAULT_MAX_ATTACHMENT_BYTES:
            return (
                f"attachment {attachment.filename!r} is {attachment.size} bytes, over the"
                f" storage cap of {DEFAULT_MAX_ATTACHMENT_BYTES}"
            )
    return None
