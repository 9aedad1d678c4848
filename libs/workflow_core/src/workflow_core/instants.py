"""Points in time written in definitions and expressions: ISO 8601 with an offset.

One parser for the ``delay`` node's ``until`` at run time and its literal
check at publish. A date-time without an offset is refused: which zone it
means is a guess, and a guess moves a timer by hours.
"""

from __future__ import annotations

from datetime import datetime


class InstantError(ValueError):
    """Why a text is not an instant (the message names the text)."""


def parse_instant(text: str) -> datetime:
    """``2026-03-29T08:00:00+02:00`` / ``...Z`` as an aware datetime, else InstantError."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InstantError(f"{text!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InstantError(f"{text!r} has no UTC offset (add Z or +hh:mm)")
    return parsed
