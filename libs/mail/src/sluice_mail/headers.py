"""Header access that never raises.

``email.policy.default`` parses headers lazily and a malformed one can raise on
access (bad encoded words, broken address lists). Every read here falls back to
the raw header value decoded leniently, and as a last resort to nothing.
"""

from __future__ import annotations

import email.header
import email.utils
from email.message import Message

from sluice_mail.model import Address


def raw_header(message: Message, name: str) -> str | None:
    """The unparsed value of the first ``name`` header, surrogates replaced."""
    try:
        for key, value in message.raw_items():
            if key.lower() == name.lower():
                return _printable(str(value))
    except Exception:  # a broken header must not stop the parse
        return None
    return None


def header_text(message: Message, name: str) -> str | None:
    """The decoded value of a header (encoded words resolved), unfolded, or None."""
    try:
        value = message.get(name)
        if value is not None:
            return _unfold(str(value))
    except Exception:  # fall back to a lenient decode of the raw value
        pass
    raw = raw_header(message, name)
    return None if raw is None else _unfold(_decode_words(raw))


def addresses(message: Message, name: str) -> tuple[Address, ...]:
    """Every mailbox of an address header, names decoded; broken entries dropped."""
    found: list[Address] = []
    for display, addr in _address_pairs(message, name):
        addr = addr.strip()
        if "@" not in addr and addr.lower() not in ("mailer-daemon", "postmaster"):
            continue
        found.append(Address(email=addr, name=_unfold(display) or None))
    return tuple(found)


def _address_pairs(message: Message, name: str) -> list[tuple[str, str]]:
    try:
        header = message.get(name)
        if header is None:
            return []
        parsed = getattr(header, "addresses", None)
        if parsed is not None:
            return [(a.display_name, a.addr_spec) for a in parsed]
    except Exception:  # fall back to the lenient parser below
        pass
    raw = raw_header(message, name)
    if raw is None:
        return []
    return [(_decode_words(n), a) for n, a in email.utils.getaddresses([raw])]


def _decode_words(value: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:  # undecodable encoded words stay as written
        return value


def _unfold(value: str) -> str:
    return " ".join(value.split())


def _printable(value: str) -> str:
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
