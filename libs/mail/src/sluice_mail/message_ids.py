"""Message-ID handling: normalisation, reference lists, and synthetic ids.

Message-IDs compare after trimming spaces and angle brackets (SPEC 12), so
``<abc@x>`` and `` abc@x `` are the same id.
"""

from __future__ import annotations

import hashlib
import re

_BRACKETED = re.compile(r"<([^<>]*)>")
SYNTHETIC_DOMAIN = "sluice.invalid"


def normalise_message_id(value: str | None) -> str | None:
    """The first id in ``value`` without brackets or spaces; None if there is none."""
    if value is None:
        return None
    found = [m.strip() for m in _BRACKETED.findall(value) if m.strip()]
    candidate = found[0] if found else value.strip().strip("<>")
    candidate = "".join(candidate.split())
    return candidate or None


def message_id_list(value: str | None) -> tuple[str, ...]:
    """Every id of a References/In-Reply-To header, in order, without duplicates."""
    if not value:
        return ()
    found = [m for m in _BRACKETED.findall(value)] or value.split()
    ids: list[str] = []
    for raw in found:
        cleaned = "".join(raw.split()).strip("<>")
        if cleaned and cleaned not in ids:
            ids.append(cleaned)
    return tuple(ids)


def normalise_line_endings(raw: bytes) -> bytes:
    """CRLF and lone CR become LF, so the same mail via SMTP and HTTP hashes alike."""
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def synthetic_message_id(raw: bytes) -> str:
    """A deterministic id for a message without one: redelivery still deduplicates.

    The hash is over the line-ending-normalised bytes (SMTP delivers CRLF, an
    HTTP upload often LF); 32 hex digits = 128 bits, collisions are not a concern.
    """
    digest = hashlib.sha256(normalise_line_endings(raw)).hexdigest()[:32]
    return f"synthetic-{digest}@{SYNTHETIC_DOMAIN}"
