"""Which mailbox a raw message uploaded over HTTP is for (pure).

SMTP has the envelope recipient (RCPT TO). ``POST /emails`` with
``message/rfc822`` takes it, in this order, from: the ``to`` query parameter,
the ``X-Sluice-Recipient`` header (both: what a forwarding MTA or mail-fetcher
knows as the envelope recipient), else the message's own ``Delivered-To``,
``X-Original-To``, ``To`` and ``Cc`` headers; intake uses the first of those
addresses that routes to a provider.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses

_HEADERS = BytesHeaderParser(policy=policy.compat32)
_PROBE_BYTES = 256 * 1024  # the header section; the body is not needed
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")


def explicit_recipient(query_to: str | None, header_to: str | None) -> str | None:
    for value in (query_to, header_to):
        if value and value.strip():
            return value.strip()
    return None


def header_recipients(raw: bytes) -> list[str]:
    """Addresses of the recipient headers, in order, lower-cased, without repeats."""
    try:
        headers = _HEADERS.parsebytes(raw[:_PROBE_BYTES])
        values = [str(v) for name in RECIPIENT_HEADERS for v in headers.get_all(name, [])]
        pairs = getaddresses(values)
    except Exception:  # a header that defeats the parser names no usable recipient
        return []
    found: list[str] = []
    for _, address in pairs:
        cleaned = address.strip().lower()
        if "@" in cleaned and cleaned not in found:
            found.append(cleaned)
    return found
